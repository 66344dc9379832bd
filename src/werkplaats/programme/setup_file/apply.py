"""Applying a checked setup file: make the database match it, saying what changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from werkplaats.partnership import invitations
from werkplaats.partnership.models import (
    Membership,
    Municipality,
    Neighbourhood,
    Organisation,
    Role,
    Team,
    User,
)
from werkplaats.programme.setup_file.changes import assign, set_many
from werkplaats.programme.setup_file.reading import LineDict
from werkplaats.programme.setup_file.studies import apply_study, consent_text


@dataclass
class Result:
    changes: list[str] = field(default_factory=list)
    invitations: list[tuple[str, invitations.Sent]] = field(default_factory=list)
    to_invite: list[int] = field(default_factory=list)


def apply(data: LineDict, result: Result) -> None:
    changes = result.changes
    municipalities: dict[str, Municipality] = {}
    for m in data.get("municipalities", []):
        muni, created = Municipality.objects.get_or_create(
            name=m["name"], defaults={"cbs_code": m.get("cbs_code", "")}
        )
        label = _("municipality %(name)s") % {"name": muni.name}
        if created:
            changes.append(_("created %(what)s") % {"what": label})
        elif "cbs_code" in m and assign(muni, {"cbs_code": m["cbs_code"]}, label, changes):
            muni.save()
        for hood_name in m.get("neighbourhoods", []):
            _hood, hood_created = Neighbourhood.objects.get_or_create(
                municipality=muni, name=hood_name
            )
            if hood_created:
                changes.append(
                    _("created neighbourhood %(name)s in %(muni)s")
                    % {"name": hood_name, "muni": muni.name}
                )
        municipalities[muni.name] = muni

    def municipality(name: str) -> Municipality:
        return municipalities.get(name) or Municipality.objects.get(name=name)

    for o in data.get("organisations", []):
        values: dict[str, Any] = {"kind": o["kind"]}
        if "municipality" in o:
            values["municipality"] = municipality(o["municipality"]) if o["municipality"] else None
        if "strengths_based_policy" in o:
            values["strengths_based_policy"] = o["strengths_based_policy"]
        org = Organisation.objects.filter(name=o["name"]).first()
        label = _("organisation %(name)s") % {"name": o["name"]}
        if org is None:
            org = Organisation(name=o["name"], **values)
            org.full_clean()
            org.save()
            changes.append(_("created %(what)s") % {"what": label})
        elif assign(org, values, label, changes):
            org.full_clean()
            org.save()
        if "care_consent" in o:
            consent_text(changes, label, organisation=org, text=o["care_consent"])
        for t in o.get("teams", []):
            team, created = Team.objects.get_or_create(organisation=org, name=t["name"])
            team_label = _("team %(name)s") % {"name": team.name}
            if created:
                changes.append(
                    _("created %(what)s in %(org)s") % {"what": team_label, "org": org.name}
                )
            if "neighbourhoods" in t:
                wanted = (
                    list(
                        Neighbourhood.objects.filter(
                            municipality=org.municipality, name__in=t["neighbourhoods"]
                        )
                    )
                    if t["neighbourhoods"]
                    else []
                )
                set_many(team.neighbourhoods, wanted, team_label, _("neighbourhoods"), changes)

    for u in data.get("users", []):
        _apply_user(u, result)

    for s in data.get("studies", []):
        apply_study(s, changes)


def _apply_user(u: dict[str, Any], result: Result) -> None:
    changes = result.changes
    org = Organisation.objects.get(name=u["organisation"])
    team = Team.objects.get(organisation=org, name=u["team"]) if u.get("team") else None
    values: dict[str, Any] = {k: u[k] for k in ("email", "first_name", "last_name") if k in u}
    if "active" in u:
        values["is_active"] = u["active"]
    user = User.objects.filter(username=u["username"]).first()
    label = _("user %(name)s") % {"name": u["username"]}
    if user is None:
        user = User(username=u["username"], **values)
        user.set_unusable_password()
        user.full_clean()
        user.save()
        changes.append(_("created %(what)s") % {"what": label})
        if user.is_active:
            result.to_invite.append(user.pk)
    elif assign(user, values, label, changes):
        user.full_clean()
        user.save()
    staff = list(
        user.memberships.exclude(role__in=[Role.CLIENT, Role.NETWORK_MEMBER]).order_by("pk")
    )
    wanted = {"organisation": org, "role": u["role"], "team": team}
    same = [
        m
        for m in staff
        if (m.organisation_id, m.role, m.team_id) == (org.pk, u["role"], team.pk if team else None)
    ]
    keep = same[0] if same else (staff[0] if staff else None)
    if keep is None:
        membership = Membership(user=user, **wanted)
        membership.full_clean()
        membership.save()
        changes.append(
            _("%(what)s: role %(role)s in %(org)s")
            % {"what": label, "role": u["role"], "org": org.name}
        )
    elif not same:
        assign(keep, wanted, label, changes)
        keep.full_clean()
        keep.save()
    for extra in staff:
        if keep is not None and extra.pk != keep.pk:
            changes.append(
                _("%(what)s: no longer %(role)s in %(org)s")
                % {"what": label, "role": extra.role, "org": extra.organisation.name}
            )
            extra.delete()
