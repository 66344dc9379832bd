"""Forms for the stories pages, by sub-domain: sources, coding, synthesis."""

from werkplaats.stories.forms.coding import (
    CodebookForm,
    CodebookImportForm,
    CodeForm,
    MemoForm,
    ProjectImportForm,
    RoundForm,
    SegmentForm,
)
from werkplaats.stories.forms.sources import (
    AnonymiseForm,
    DocumentForm,
    SourceForm,
    UploadField,
)
from werkplaats.stories.forms.synthesis import (
    DIALOGUE_ROLES,
    DialogueForm,
    FindingForm,
    InterpretationForm,
    InviteForm,
    JointCellForm,
    MemberCheckForm,
    MemberCheckResponseForm,
    StudyClientField,
)

__all__ = [
    "AnonymiseForm",
    "CodeForm",
    "CodebookForm",
    "CodebookImportForm",
    "DIALOGUE_ROLES",
    "DialogueForm",
    "DocumentForm",
    "FindingForm",
    "InterpretationForm",
    "InviteForm",
    "JointCellForm",
    "MemberCheckForm",
    "MemberCheckResponseForm",
    "MemoForm",
    "ProjectImportForm",
    "RoundForm",
    "SegmentForm",
    "SourceForm",
    "StudyClientField",
    "UploadField",
]
