"""Who may see and change case content. Every lookup of a client's data goes through here.

- a professional: the trajectories they lead (read and write);
- a team manager: the trajectories of the teams they manage (read only);
- a client: only their own record, through their own pages;
- a team's dilemmas without case details (``team_dilemmas``): the manager of that team only,
  because the professional's weighing is free text that can still identify;
- dilemmas and working principles across teams (``practice_figures_reader``): researchers
  and educators, as disclosure-controlled counts and shares only;
- every other role: no case content at all (403).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from werkplaats.casework.models import (
    Client,
    ClientIdentity,
    Contact,
    Dilemma,
    Goal,
    Trajectory,
)
from werkplaats.core.audit import log_access, log_list_access
from werkplaats.partnership.access import access_team_by_id, managed_team_ids, require_role
from werkplaats.partnership.models import Role, Team, User

CASE_READERS = (Role.PROFESSIONAL, Role.TEAM_MANAGER)
CASE_WRITERS = (Role.PROFESSIONAL,)


def visible_trajectories(user: User) -> QuerySet[Trajectory]:
    """The caseload a user may read: own trajectories and those of managed teams."""
    require_role(user, *CASE_READERS)
    condition = Q(pk__in=[])
    if user.has_role(Role.PROFESSIONAL):
        condition |= Q(lead_professional=user)
    if user.has_role(Role.TEAM_MANAGER):
        condition |= Q(team_id__in=managed_team_ids(user))
    return Trajectory.objects.filter(condition)


def access_trajectory_by_id(user: User, trajectory_id: int, *, write: bool = False) -> Trajectory:
    """Fetch a trajectory the user may read (or, with ``write``, change), and log the read."""
    require_role(user, *(CASE_WRITERS if write else CASE_READERS))
    queryset = (
        Trajectory.objects.filter(lead_professional=user) if write else (visible_trajectories(user))
    )
    trajectory = get_object_or_404(
        queryset.select_related("client", "team__organisation", "lead_professional", "method"),
        pk=trajectory_id,
    )
    log_access(user, "change" if write else "view", trajectory)
    return trajectory


def access_goal_by_id(user: User, goal_id: int, *, write: bool = False) -> Goal:
    require_role(user, *(CASE_WRITERS if write else CASE_READERS))
    goal = get_object_or_404(Goal.objects.select_related("trajectory"), pk=goal_id)
    access_trajectory_by_id(user, goal.trajectory_id, write=write)
    return goal


def can_see_identity(user: User, client: Client) -> bool:
    """Identifying details: the lead professional, the team's manager, and the client."""
    if client.user_id == user.pk:
        return True
    if not user.has_role(*CASE_READERS):
        return False
    return visible_trajectories(user).filter(client=client).exists()


# Why a client's identifying details are read; written to the access log with each read.
CARE = "identifying details"
ANONYMISATION = "names to mask when anonymising"


def identity_for(user: User, client: Client, purpose: str) -> ClientIdentity | None:
    """The client's identifying details (name, contact) for ``purpose``, or None.

    - ``CARE``: for those who may see them (``can_see_identity``), to show them;
    - ``ANONYMISATION``: for a researcher anonymising a story the client told for their
      study — the caller (``stories.access.access_source_for_research``) has checked the
      study and that research consent stands; the name only feeds the mask proposals.

    Every read is written to the access log with its purpose.
    """
    if purpose == ANONYMISATION:
        require_role(user, Role.RESEARCHER)
    elif purpose != CARE:
        raise ValueError(f"unknown purpose {purpose!r}")
    elif not can_see_identity(user, client):
        return None
    identity = ClientIdentity.objects.filter(client=client).first()
    if identity is not None:
        log_access(user, "view", identity, purpose)
    return identity


SEARCH = "search by name"


def clients_named(user: User, trajectories: QuerySet[Trajectory], text: str) -> set[int]:
    """The clients of ``trajectories`` (already limited to what ``user`` may read) whose
    name contains ``text``: for those who may see names (``CASE_READERS``) only.

    Names are encrypted, so every name in reach is read (one query) and compared here;
    the read is logged as one entry naming every client whose name was read, with its
    purpose, as ``identity_for`` logs a single read.
    """
    require_role(user, *CASE_READERS)
    wanted = text.casefold().strip()
    client_ids = trajectories.values("client_id")
    identities = list(ClientIdentity.objects.filter(client_id__in=client_ids))
    if not identities or not wanted:
        return set()
    log_list_access(
        user, ClientIdentity, SEARCH, clients=[identity.client_id for identity in identities]
    )
    return {i.client_id for i in identities if wanted in i.name.casefold()}


def names_to_mask(user: User, client: Client) -> tuple[list[str], list[str]]:
    """Names and places casework knows around a client — their name, the labels of their
    network members, their lead professionals' names, their neighbourhood and municipality —
    to propose masks when a researcher anonymises their story (see ``identity_for``)."""
    identity = identity_for(user, client, ANONYMISATION)
    names = [identity.name] if identity is not None else []
    places: list[str] = []
    neighbourhood = client.neighbourhood
    if neighbourhood is not None:
        places += [neighbourhood.name, neighbourhood.municipality.name]
    trajectories = client.trajectories.select_related("lead_professional").prefetch_related(
        "network_snapshots__members"
    )
    for trajectory in trajectories:
        for snapshot in trajectory.network_snapshots.all():
            names += [m.label for m in snapshot.members.all()]
        lead = trajectory.lead_professional
        names += [n for n in (lead.first_name, lead.last_name) if n]
        log_access(user, "view", trajectory, f"network and professional: {ANONYMISATION}")
    return names, places


def own_client_record(user: User) -> Client:
    """The client's own record, for the client's own pages."""
    require_role(user, Role.CLIENT)
    client = Client.objects.filter(user=user).first()
    if client is None:
        raise PermissionDenied
    log_access(user, "view", client, "own record")
    return client


def registration_teams(user: User) -> QuerySet[Team]:
    """Teams in which the user may register a new client: as professional or team manager."""
    require_role(user, Role.PROFESSIONAL, Role.TEAM_MANAGER)
    return (
        Team.objects.filter(
            memberships__user=user,
            memberships__role__in=[Role.PROFESSIONAL, Role.TEAM_MANAGER],
        )
        .select_related("organisation")
        .distinct()
    )


def access_trajectory_to_manage(user: User, trajectory_id: int) -> Trajectory:
    """Close, pause, reopen, hand over, invite the client: the lead professional, or the
    manager of the trajectory's team (who takes over cases and answers for them)."""
    require_role(user, Role.PROFESSIONAL, Role.TEAM_MANAGER)
    condition = Q(lead_professional=user) | Q(team_id__in=managed_team_ids(user))
    trajectory = get_object_or_404(
        Trajectory.objects.filter(condition).select_related(
            "client", "team__organisation", "lead_professional"
        ),
        pk=trajectory_id,
    )
    log_access(user, "change", trajectory, "manage")
    return trajectory


def team_professionals(team: Team) -> QuerySet[User]:
    return User.objects.filter(
        memberships__team=team, memberships__role=Role.PROFESSIONAL, is_active=True
    ).distinct()


DELIBERATION = "dilemma overview for moral case deliberation"


def team_dilemmas(user: User, team_id: int) -> tuple[Team, QuerySet[Dilemma]]:
    """A team's dilemmas, for the manager of that team (403 for other roles, 404 for
    another team's manager). The read is logged naming every client whose dilemma is in it.

    Researchers and the professional body do not get this page: the weighing is free text
    the professional wrote, and free text can identify a client.
    """
    team = access_team_by_id(user, team_id)
    dilemmas = Dilemma.objects.filter(trajectory__team=team)
    clients = set(dilemmas.values_list("trajectory__client_id", flat=True))
    log_list_access(user, Dilemma, DELIBERATION, clients=sorted(clients))
    return team, dilemmas


FIGURE_READERS = (Role.RESEARCHER, Role.EDUCATOR)
PRACTICE_FIGURES = "figures across teams (aggregates, disclosure-controlled)"


def practice_figures_reader(user: User, what: type[Dilemma] | type[Contact]) -> None:
    """Dilemmas and working principles across teams, as protected aggregates: researchers,
    and educators (teaching and the professional body). No case content reaches them; the
    read is logged, naming no client."""
    require_role(user, *FIGURE_READERS)
    log_list_access(user, what, PRACTICE_FIGURES, clients=[])
