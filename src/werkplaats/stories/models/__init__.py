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
    DialogueInvitation,
    DialogueParticipant,
    DialogueSession,
    Finding,
    Interpretation,
    JointDisplayCell,
    MemberCheck,
    MemberCheckResponse,
)
from werkplaats.stories.models.dilemmas import SessionDilemma, SharedDilemma
from werkplaats.stories.models.sources import SharedVersion, Source

__all__ = [
    "CoCodingAgreement",
    "Code",
    "Codebook",
    "CoderAssignment",
    "CodingLink",
    "CodingRound",
    "CodingSet",
    "DialogueInvitation",
    "MediaReference",
    "DialogueParticipant",
    "DialogueSession",
    "Finding",
    "Interpretation",
    "JointDisplayCell",
    "MemberCheck",
    "MemberCheckResponse",
    "Memo",
    "Segment",
    "SessionDilemma",
    "SharedDilemma",
    "SharedVersion",
    "Source",
]
