"""Who may see which insight: every lookup for the insight pages goes through here.

- a study report, its exports and its CMO configurations: researchers on that study;
- progress feedback on a trajectory: those who may read the trajectory (casework rules);
- a client's own progress: that client;
- team feedback: the team's manager; organisation feedback: its admins (aggregates only);
- municipality figures: policy makers of that municipality (aggregates, disclosure-controlled).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from werkplaats.casework.access import access_trajectory_by_id, own_client_record
from werkplaats.casework.models import Client, Trajectory
from werkplaats.core.audit import log_access
from werkplaats.insight.models import CmoConfiguration
from werkplaats.partnership.access import (
    access_organisation_by_id,
    access_team_by_id,
    policy_municipality_ids,
    require_role,
)
from werkplaats.partnership.models import Municipality, Organisation, Role, Team, User
from werkplaats.programme.access import access_study_data_by_id
from werkplaats.programme.models import Consent, Study


def access_study_report(
    user: User, study_id: int, what: str = "report", action: str = "view"
) -> Study:
    """The study's pseudonymised analyses are for the researchers on it; the read is logged."""
    study = access_study_data_by_id(user, study_id)
    log_access(
        user,
        action,
        study,
        what,
        # the consents' client ids, without reading the clients (156,727 at 200,000)
        clients=Consent.objects.standing(study).values_list("client_id", flat=True),
        on_behalf_of=f"study: {study.title}",
    )
    return study


def access_cmo_by_id(user: User, cmo_id: int) -> CmoConfiguration:
    require_role(user, Role.RESEARCHER)
    cmo = get_object_or_404(
        CmoConfiguration.objects.select_related("study"), pk=cmo_id, study__researchers=user
    )
    return cmo


def access_progress(user: User, trajectory_id: int, *, download: str | None = None) -> Trajectory:
    """The trajectory's progress for those who may read it; a download is logged as an
    export besides the read."""
    trajectory = access_trajectory_by_id(user, trajectory_id)
    if download:
        log_access(user, "export", trajectory, f"progress {download}")
    return trajectory


def access_own_progress(user: User) -> Client:
    client = own_client_record(user)
    log_access(user, "view", client, "own progress")
    return client


def access_team_feedback(user: User, team_id: int) -> Team:
    return access_team_by_id(user, team_id)


def access_organisation_feedback(user: User, organisation_id: int) -> Organisation:
    return access_organisation_by_id(user, organisation_id)


def municipalities_for(user: User) -> list[Municipality]:
    ids = [i for i in policy_municipality_ids(user) if i is not None]
    return list(Municipality.objects.filter(pk__in=ids))
