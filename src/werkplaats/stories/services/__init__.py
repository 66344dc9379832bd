"""Writes for stories: validate, one transaction, log. Views call these, nothing else writes.

By sub-domain, as the models are: sources, coding, synthesis.
"""

from werkplaats.stories.services.coding import (
    assignment_finish,
    co_coding_agreed,
    co_coding_set,
    code_create,
    codebook_create,
    memo_add,
    round_create,
    segment_add,
    segment_delete,
    segments_code,
)
from werkplaats.stories.services.dialogue_guests import (
    dialogue_invite,
    interpretation_add,
    invitable_users,
)
from werkplaats.stories.services.sources import (
    shared_version_correct,
    shared_version_create,
    source_create,
    source_record_consent,
    story_teaching_set,
    story_withdraw,
)
from werkplaats.stories.services.synthesis import (
    ROLE_KIND,
    dialogue_create,
    finding_create,
    finding_mark_discussed,
    joint_cell_save,
    member_check_by_token,
    member_check_create,
    member_check_respond,
)

__all__ = [
    "co_coding_agreed",
    "co_coding_set",
    "ROLE_KIND",
    "assignment_finish",
    "code_create",
    "codebook_create",
    "dialogue_create",
    "dialogue_invite",
    "finding_create",
    "interpretation_add",
    "invitable_users",
    "finding_mark_discussed",
    "joint_cell_save",
    "member_check_by_token",
    "member_check_create",
    "member_check_respond",
    "memo_add",
    "round_create",
    "segment_add",
    "segment_delete",
    "segments_code",
    "shared_version_correct",
    "shared_version_create",
    "source_create",
    "source_record_consent",
    "story_teaching_set",
    "story_withdraw",
]
