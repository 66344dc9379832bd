"""Who may see and import instrument definitions.

Definitions are not personal data: every role except clients and network members may
read the library. A version an organisation imported under its own licence is visible
only to that organisation's members. Importing is for organisation admins (for their
organisation's licence) and researchers (public definitions).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from werkplaats.instruments.models import InstrumentVersion
from werkplaats.partnership.access import require_role
from werkplaats.partnership.models import STAFF_ROLES, Organisation, Role, User

READERS = STAFF_ROLES  # every staff role reads the library
IMPORTERS = (Role.ORG_ADMIN, Role.RESEARCHER)


def visible_versions_for_organisations(organisation_ids: list[int]) -> QuerySet[InstrumentVersion]:
    return InstrumentVersion.objects.filter(
        Q(organisation__isnull=True) | Q(organisation_id__in=organisation_ids)
    )


def visible_versions(user: User) -> QuerySet[InstrumentVersion]:
    require_role(user, *READERS)
    org_ids = list(user.memberships.values_list("organisation_id", flat=True))
    return visible_versions_for_organisations(org_ids)


def access_version_by_id(user: User, version_id: int) -> InstrumentVersion:
    return get_object_or_404(visible_versions(user).select_related("instrument"), pk=version_id)


def require_importer(user: User) -> None:
    require_role(user, *IMPORTERS)


def licence_organisations(user: User) -> QuerySet[Organisation]:
    """The organisations under whose own licence this user may import: those they administer."""
    return (
        Organisation.objects.filter(memberships__user=user, memberships__role=Role.ORG_ADMIN)
        .distinct()
        .order_by("name", "pk")
    )
