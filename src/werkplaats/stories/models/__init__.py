"""Stories models, split by sub-domain."""

from werkplaats.stories.models.codebooks import Code, Codebook
from werkplaats.stories.models.codings import (
    CoCodingAgreement,
    CoderAssignment,
    CodingLink,
    CodingRound,
    CodingSet,
    MediaReference,
    Memo,
    Segment,
)
from werkplaats.stories.models.dialogue import (
    DialogueParticipant,
    DialogueSession,
    Finding,
    JointDisplayCell,
    MemberCheck,
    MemberCheckResponse,
)
from werkplaats.stories.models.sources import SharedVersion, Source

__all__ = [
    "CoCodingAgreement",
    "Code",
    "Codebook",
    "CoderAssignment",
    "CodingLink",
    "CodingRound",
    "CodingSet",
    "MediaReference",
    "DialogueParticipant",
    "DialogueSession",
    "Finding",
    "JointDisplayCell",
    "MemberCheck",
    "MemberCheckResponse",
    "Memo",
    "Segment",
    "SharedVersion",
    "Source",
]
