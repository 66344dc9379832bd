"""Writes to case content. Each function validates, writes in one transaction, and logs."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from werkplaats.casework.models import (
    ActorKind,
    Client,
    ClientIdentity,
    Contact,
    Dilemma,
    Goal,
    GoalScore,
    Method,
    NetworkMember,
    NetworkSnapshot,
    TargetGroup,
    Trajectory,
    WorkingPrinciple,
)
from werkplaats.core.audit import log_access
from werkplaats.core.versioning import save_versioned
from werkplaats.partnership import invitations
from werkplaats.partnership.models import Membership, Neighbourhood, Organisation, Role, Team, User


class ContactFields(TypedDict, total=False):
    """What a contact records (the model's fields; full_clean says what is missing)."""

    date: dt.date
    duration_minutes: int
    mode: str
    alliance_heard: int | None
    alliance_my_goals: int | None
    alliance_trust: int | None
    alliance_next: int | None
    note: str


class GoalFields(TypedDict, total=False):
    """A goal's text, weight, level descriptions and baseline (GAS)."""

    text: str
    weight: int
    baseline: int
    level_minus2: str
    level_minus1: str
    level_0: str
    level_plus1: str
    level_plus2: str
    created: dt.date


class DilemmaFields(TypedDict, total=False):
    """A tension met in practice and how it was weighed."""

    date: dt.date
    tension: str
    description: str
    values_at_stake: str
    options_weighed: str
    choice: str
    reasons: str
    moral_case_deliberation: bool


class NetworkMemberFields(TypedDict, total=False):
    """A person in the client's network on a snapshot's date."""

    label: str
    relation: str
    formal: bool
    closeness: int
    support_given: list[str]
    support_received: list[str]


@transaction.atomic
def contact_create(
    *,
    trajectory: Trajectory,
    user: User,
    actors: Iterable[ActorKind] = (),
    principles: Iterable[WorkingPrinciple] = (),
    **fields: Unpack[ContactFields],
) -> Contact:
    contact = Contact(trajectory=trajectory, recorded_by=user, **fields)
    contact.full_clean()
    contact.save()
    contact.actors.set(actors)
    contact.principles.set(principles)
    log_access(user, "create", contact)
    return contact


def _version_of(method: Method | None) -> int | None:
    """The method's current version: what a trajectory that chooses it now follows."""
    return None if method is None else Method.objects.get(pk=method.pk).version


@transaction.atomic
def trajectory_update(
    *,
    trajectory: Trajectory,
    user: User,
    expected_version: int,
    fields: dict[str, Any],
    target_groups: Iterable[Any] | None = None,
) -> Trajectory:
    """Save changed fields, refusing if someone else saved since ``expected_version``."""
    fields = dict(fields)
    if "method" in fields and fields["method"] != trajectory.method:
        fields["method_version"] = _version_of(fields["method"])
    for name, value in fields.items():
        setattr(trajectory, name, value)
    trajectory.full_clean(exclude=["client", "lead_professional", "team"])
    save_versioned(trajectory, expected_version, list(fields))
    if target_groups is not None:
        trajectory.target_groups.set(target_groups)
    log_access(user, "change", trajectory)
    return trajectory


@transaction.atomic
def goal_create(*, trajectory: Trajectory, user: User, **fields: Unpack[GoalFields]) -> Goal:
    goal = Goal(trajectory=trajectory, **fields)
    if goal.created is None:
        goal.created = dt.date.today()
    goal.full_clean()
    goal.save()
    log_access(user, "create", goal)
    return goal


@transaction.atomic
def goal_update(*, goal: Goal, user: User, expected_version: int, fields: dict[str, Any]) -> Goal:
    for name, value in fields.items():
        setattr(goal, name, value)
    goal.full_clean(exclude=["trajectory"])
    save_versioned(goal, expected_version, list(fields))
    log_access(user, "change", goal)
    return goal


@transaction.atomic
def goal_score_add(*, goal: Goal, user: User, date: dt.date, level: int) -> GoalScore:
    """Score a goal on a date; a second score on the same date corrects the first."""
    score = GoalScore.objects.filter(goal=goal, date=date).order_by("pk").first()
    action = "change" if score else "create"
    if score is None:
        score = GoalScore(goal=goal, date=date)
    score.level, score.recorded_by = level, user
    score.full_clean()
    score.save()
    log_access(user, action, score)
    return score


@transaction.atomic
def dilemma_create(
    *, trajectory: Trajectory, user: User, **fields: Unpack[DilemmaFields]
) -> Dilemma:
    dilemma = Dilemma(trajectory=trajectory, recorded_by=user, **fields)
    dilemma.full_clean()
    dilemma.save()
    log_access(user, "create", dilemma)
    return dilemma


@transaction.atomic
def network_member_add(
    *, trajectory: Trajectory, user: User, date: dt.date, **fields: Unpack[NetworkMemberFields]
) -> NetworkMember:
    """Add a person to the network as it stands on ``date``.

    A new wave starts as a copy of the latest earlier snapshot, so a professional only
    records what changed.
    """
    snapshot = network_snapshot_for(trajectory=trajectory, date=date)
    member = NetworkMember(snapshot=snapshot, **fields)
    member.full_clean()
    member.save()
    log_access(user, "create", member)
    return member


def network_snapshot_for(*, trajectory: Trajectory, date: dt.date) -> NetworkSnapshot:
    snapshot, created = NetworkSnapshot.objects.get_or_create(trajectory=trajectory, date=date)
    if created:
        previous = (
            NetworkSnapshot.objects.filter(trajectory=trajectory, date__lt=date)
            .order_by("-date")
            .first()
        )
        if previous is not None:
            NetworkMember.objects.bulk_create(
                NetworkMember(
                    snapshot=snapshot,
                    label=m.label,
                    relation=m.relation,
                    formal=m.formal,
                    closeness=m.closeness,
                    support_given=m.support_given,
                    support_received=m.support_received,
                )
                for m in previous.members.all()
            )
    return snapshot


# An unambiguous alphabet for pseudonyms a person may read out: no 0/O, 1/I/L.
_PSEUDONYM_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_pseudonym() -> str:
    """A fresh client pseudonym, e.g. ``C-7KQ2MX4P``; random, so it reveals nothing."""
    while True:
        pseudonym = "C-" + "".join(secrets.choice(_PSEUDONYM_ALPHABET) for _ in range(8))
        if not Client.objects.filter(pseudonym=pseudonym).exists():
            return pseudonym


@transaction.atomic
def client_register(
    *,
    user: User,
    lead: User,
    team: Team,
    name: str,
    contact: str = "",
    birth_year: int | None = None,
    language: str = "",
    neighbourhood: Neighbourhood | None = None,
    request_for_help: str = "",
    target_groups: Iterable[TargetGroup] = (),
    method: Method | None = None,
    start: dt.date,
) -> Trajectory:
    """A new client (identifying details encrypted apart) and their first trajectory."""
    if not Membership.objects.filter(user=lead, team=team, role=Role.PROFESSIONAL).exists():
        raise ValidationError({"lead": _("The lead professional must work in this team.")})
    client = Client(
        pseudonym=new_pseudonym(),
        birth_year=birth_year,
        language=language,
        neighbourhood=neighbourhood,
    )
    client.full_clean()
    client.save()
    identity = ClientIdentity(client=client, name=name, contact=contact)
    identity.full_clean()
    identity.save()
    trajectory = Trajectory(
        client=client,
        lead_professional=lead,
        team=team,
        method=method,
        method_version=_version_of(method),
        start=start,
        request_for_help=request_for_help,
    )
    trajectory.full_clean()
    trajectory.save()
    trajectory.target_groups.set(target_groups)
    log_access(user, "create", client)
    log_access(user, "create", identity)
    log_access(user, "create", trajectory)
    return trajectory


_TRANSITIONS = {
    "close": ({Trajectory.Status.OPEN, Trajectory.Status.PAUSED}, Trajectory.Status.CLOSED),
    "pause": ({Trajectory.Status.OPEN}, Trajectory.Status.PAUSED),
    "reopen": ({Trajectory.Status.PAUSED, Trajectory.Status.CLOSED}, Trajectory.Status.OPEN),
}


@transaction.atomic
def trajectory_transition(
    *,
    trajectory: Trajectory,
    user: User,
    expected_version: int,
    action: str,
    on: dt.date | None = None,
) -> Trajectory:
    """Close (with an end date), pause, or reopen a trajectory."""
    allowed, target = _TRANSITIONS[action]
    if trajectory.status not in allowed:
        raise ValidationError(
            _("A trajectory that is %(status)s cannot be %(action)s.")
            % {"status": trajectory.get_status_display(), "action": _ACTION_NAMES[action]},
            code="transition",
        )
    fields: dict[str, Any] = {"status": target}
    if action == "close":
        end = on or dt.date.today()
        if end < trajectory.start:
            raise ValidationError(
                {
                    "end": _("The end date lies before the start date (%(start)s).")
                    % {"start": trajectory.start.isoformat()}
                }
            )
        fields["end"] = end
    elif action == "reopen":
        fields["end"] = None
    for name, value in fields.items():
        setattr(trajectory, name, value)
    save_versioned(trajectory, expected_version, list(fields))
    log_access(user, "change", trajectory, action)
    return trajectory


_ACTION_NAMES = {
    "close": gettext_lazy("closed"),
    "pause": gettext_lazy("paused"),
    "reopen": gettext_lazy("reopened"),
}


@transaction.atomic
def trajectory_hand_over(
    *, trajectory: Trajectory, user: User, expected_version: int, to: User
) -> Trajectory:
    """Give a trajectory to a colleague in its team; they lead it from now on."""
    if to.pk == trajectory.lead_professional_id:
        raise ValidationError({"to": _("This colleague leads the trajectory already.")})
    if not Membership.objects.filter(
        user=to, team_id=trajectory.team_id, role=Role.PROFESSIONAL, user__is_active=True
    ).exists():
        raise ValidationError({"to": _("Hand over to a professional of the same team.")})
    previous = trajectory.lead_professional_id
    trajectory.lead_professional = to
    save_versioned(trajectory, expected_version, ["lead_professional"])
    log_access(user, "change", trajectory, f"handed over from user {previous} to user {to.pk}")
    return trajectory


@transaction.atomic
def client_invite(
    *, client: Client, user: User, organisation: Organisation, username: str, email: str = ""
) -> tuple[User, invitations.Sent]:
    """An account for the client, linked to their record, with a set-password link."""
    if client.user_id is not None:
        raise ValidationError(_("This client has an account already."), code="has_account")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            {"username": _("The username %(name)s is taken; choose another.") % {"name": username}}
        )
    account = User(username=username, email=email)
    account.set_unusable_password()
    account.full_clean()
    account.save()
    Membership.objects.create(user=account, organisation=organisation, role=Role.CLIENT)
    Client.objects.filter(pk=client.pk, user__isnull=True).update(user=account)
    client.user = account
    log_access(user, "change", client, "client account created")
    return account, invitations.invite(account, by=user)
