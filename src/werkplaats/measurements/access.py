"""Who may see measurements, and who may answer which assessment.

- the trajectory's measurements (plan, scores, exports) follow the trajectory: the lead
  professional reads and writes, the team manager reads (see casework.access);
- a client answers only the client assessments of their own trajectories;
- the lead professional answers only the professional assessments of their trajectories;
- a network member answers through a one-time link, without an account: the token is
  the key, and it opens one questionnaire until it is sent or the link expires.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from werkplaats.core.audit import log_access
from werkplaats.core.one_time import NotAToken, hash_token
from werkplaats.measurements.models import Assessment, Informant, OneTimeLink
from werkplaats.partnership.access import require_role
from werkplaats.partnership.models import Organisation, Role, User

ANSWERERS = (Role.CLIENT, Role.PROFESSIONAL)


class LinkGone(Exception):
    """The link existed but may no longer be used: ``reason`` is 'expired' or 'used'."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def access_assessment_for_answering(user: User, assessment_id: int) -> Assessment:
    """The assessment this user answers as themselves: a client's own, a professional's own."""
    require_role(user, *ANSWERERS)
    assessment = get_object_or_404(
        Assessment.objects.select_related("trajectory__client", "version", "instrument"),
        pk=assessment_id,
    )
    trajectory = assessment.trajectory
    own_client = (
        assessment.informant == Informant.CLIENT
        and user.has_role(Role.CLIENT)
        and trajectory.client.user_id == user.pk
    )
    own_professional = (
        assessment.informant == Informant.PROFESSIONAL
        and user.has_role(Role.PROFESSIONAL)
        and trajectory.lead_professional_id == user.pk
    )
    if not (own_client or own_professional):
        raise Http404
    log_access(user, "view", assessment, "answering")
    return assessment


def access_link(token: str) -> OneTimeLink:
    """The link behind a token; 404 for an unknown token, LinkGone once expired or sent."""
    try:
        link = OneTimeLink.objects.select_related(
            "assessment__version", "assessment__instrument"
        ).get(token_hash=hash_token(token))
    except (NotAToken, OneTimeLink.DoesNotExist):
        raise Http404 from None
    if link.assessment.complete:
        raise LinkGone("used")
    if link.expires_at <= timezone.now():
        raise LinkGone("expired")
    log_access(None, "view", link.assessment, "one-time link")
    return link


SCHEDULE_EDITORS = (Role.TEAM_MANAGER, Role.ORG_ADMIN)


def require_schedule_editor(user: User) -> None:
    """An organisation's plan for a method is set by its team managers and admins."""
    require_role(user, *SCHEDULE_EDITORS)


def schedule_organisations(user: User) -> QuerySet[Organisation]:
    """The organisations whose own plan for a method this user may set: those where
    they are a team manager or organisation admin (never every organisation's default)."""
    require_schedule_editor(user)
    return (
        Organisation.objects.filter(memberships__user=user, memberships__role__in=SCHEDULE_EDITORS)
        .distinct()
        .order_by("name")
    )


def require_client(user: User) -> None:
    if not user.has_role(Role.CLIENT):
        raise PermissionDenied


def answer_import_organisations(user: User) -> QuerySet[Organisation]:
    """The organisations into which this user may import answers (clients, trajectories,
    assessments): those where they are a researcher or an organisation admin. Anyone
    else is refused."""
    require_role(user, Role.ORG_ADMIN, Role.RESEARCHER)
    return (
        Organisation.objects.filter(
            memberships__user=user, memberships__role__in=[Role.ORG_ADMIN, Role.RESEARCHER]
        )
        .distinct()
        .order_by("name", "pk")
    )
