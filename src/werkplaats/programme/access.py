"""Who may see studies, their data, and consents."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from werkplaats.casework.access import CASE_READERS, visible_trajectories
from werkplaats.casework.models import Client, Trajectory
from werkplaats.core.audit import log_access
from werkplaats.partnership.access import require_role
from werkplaats.partnership.models import Role, User
from werkplaats.programme.models import Consent, Study

# Everyone who works in the partnership may read what a study is about; a client and a
# network member see studies only through their own consents.
STUDY_READERS = (
    Role.PROFESSIONAL,
    Role.TEAM_MANAGER,
    Role.ORG_ADMIN,
    Role.RESEARCHER,
    Role.POLICY_MAKER,
    Role.EXPERIENCE_EXPERT,
    Role.EDUCATOR,
)


def access_study_by_id(user: User, study_id: int) -> Study:
    require_role(user, *STUDY_READERS)
    return get_object_or_404(Study, pk=study_id)


def access_study_data_by_id(user: User, study_id: int) -> Study:
    """A study's (pseudonymised) data is for the researchers on that study only."""
    require_role(user, Role.RESEARCHER)
    return get_object_or_404(Study, pk=study_id, researchers=user)


def consenting_clients(study: Study) -> QuerySet[Client]:
    """Clients whose consent for this study stands now."""
    return Client.objects.filter(pk__in=Consent.objects.standing(study).values("client_id"))


def access_own_consent_by_id(user: User, consent_id: int) -> Consent:
    require_role(user, Role.CLIENT)
    return get_object_or_404(
        Consent.objects.select_related("study"), pk=consent_id, client__user=user
    )


def consent_studies_for(trajectory: Trajectory) -> QuerySet[Study]:
    """Studies a client of this trajectory can be asked to join: their organisation takes
    part, the study is not closed, and its researchers have set a consent text."""
    return (
        Study.objects.filter(
            participations__organisation_id=trajectory.team.organisation_id,
            consent_texts__isnull=False,
        )
        .exclude(phase=Study.Phase.CLOSED)
        .distinct()
        .order_by("title")
    )


def access_consent_document_by_id(user: User, consent_id: int) -> Consent:
    """The PDF of what was agreed: for the client, and for who may read their case."""
    require_role(user, Role.CLIENT, *CASE_READERS)
    consent = get_object_or_404(
        Consent.objects.select_related("client", "study", "text"), pk=consent_id
    )
    own = consent.client.user_id == user.pk
    if not own and not (
        user.has_role(*CASE_READERS)
        and visible_trajectories(user).filter(client_id=consent.client_id).exists()
    ):
        raise Http404
    if not consent.document:
        raise Http404
    log_access(user, "view", consent, "consent document")
    return consent


def access_study_to_create(user: User) -> None:
    """Researchers create studies (and are on the studies they create)."""
    require_role(user, Role.RESEARCHER)


def access_study_to_edit_by_id(user: User, study_id: int) -> Study:
    """A study is edited by the researchers on it."""
    require_role(user, Role.RESEARCHER)
    study = get_object_or_404(
        Study.objects.prefetch_related(
            "researchers", "subthemes", "foci", "participations__organisation"
        ),
        pk=study_id,
        researchers=user,
    )
    log_access(user, "view", study, "study form")
    return study
