"""Who may see studies, their data, and consents."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from werkplaats.casework.models import Client
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
