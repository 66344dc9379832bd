"""Experience experts and educators at a dialogue session: inviting them, and the
interpretations they add to the session or to a finding on its table."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from werkplaats.core.audit import log_access
from werkplaats.partnership.models import Role, User
from werkplaats.stories.models import DialogueInvitation, DialogueSession, Finding, Interpretation

GUEST_ROLES = (Role.EXPERIENCE_EXPERT, Role.EDUCATOR)
MAX_INTERPRETATION = 2000


def invitable_users(session: DialogueSession) -> QuerySet[User]:
    """Experience experts and educators not yet invited to the session."""
    return (
        User.objects.filter(memberships__role__in=GUEST_ROLES, is_active=True)
        .exclude(dialogue_invitations__session=session)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


@transaction.atomic
def dialogue_invite(*, session: DialogueSession, user: User, guest: User) -> DialogueInvitation:
    """Invite an experience expert or educator; the caller has checked that `user` is a
    researcher on the session's study (stories.access.is_dialogue_researcher)."""
    if not guest.has_role(*GUEST_ROLES):
        raise ValidationError(_("Only experience experts and educators can be invited."))
    if DialogueInvitation.objects.filter(session=session, user=guest).exists():
        raise ValidationError(_("This person is already invited."))
    invitation = DialogueInvitation.objects.create(session=session, user=guest, invited_by=user)
    log_access(user, "change", session, "invited a participant")
    return invitation


@transaction.atomic
def interpretation_add(
    *, session: DialogueSession, user: User, text: str, finding: Finding | None = None
) -> Interpretation:
    """Add an interpretation, kept with its author and time. Only added, never edited, so
    two people adding at once cannot overwrite each other."""
    text = text.strip()
    if not text:
        raise ValidationError(_("Write your interpretation first."))
    if len(text) > MAX_INTERPRETATION:
        raise ValidationError(
            _("Keep it to %(n)d characters; split a longer text over several interpretations.")
            % {"n": MAX_INTERPRETATION}
        )
    if finding is not None and not session.findings.filter(pk=finding.pk).exists():
        raise ValidationError(_("That finding is not on this session's table."))
    interpretation = Interpretation.objects.create(
        session=session, finding=finding, text=text, author=user
    )
    log_access(user, "create", interpretation, "interpretation of a dialogue session")
    return interpretation
