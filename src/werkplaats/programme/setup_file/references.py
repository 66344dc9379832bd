"""The checks a setup file must pass beyond its schema: what it refers to must exist (in
the file or the database), names are unique, roles fit their organisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from werkplaats.partnership.models import Municipality, Organisation, Role
from werkplaats.programme.setup_file.reading import LineDict, LineList, _line_of
from werkplaats.programme.setup_file.studies import check_study


@dataclass
class _Context:
    data: LineDict
    problems: list[tuple[int, str]] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)

    def problem(self, node: Any, key: str | int | None, message: str) -> None:
        if key is None:
            line = getattr(node, "line", 1)
        elif isinstance(node, LineDict):
            line = node.key_lines.get(str(key), node.line)
        elif isinstance(node, LineList) and isinstance(key, int):
            line = node.item_lines[key]
        else:
            line = getattr(node, "line", 1)
        self.problems.append((line, message))


def check_references(ctx: _Context) -> None:
    """What the file refers to must exist in the file or the database."""
    data = ctx.data
    municipalities = {m["name"] for m in data.get("municipalities", [])}
    hoods: dict[str, set[str]] = {
        m["name"]: set(m.get("neighbourhoods", [])) for m in data.get("municipalities", [])
    }
    for stored in Municipality.objects.filter(name__in=_org_municipalities(data)):
        hoods.setdefault(stored.name, set()).update(
            stored.neighbourhoods.values_list("name", flat=True)
        )
        municipalities.add(stored.name)
    _unique(ctx, data.get("municipalities", []), "name", _("municipality"))
    _unique(ctx, data.get("organisations", []), "name", _("organisation"))
    _unique(ctx, data.get("users", []), "username", _("user"))
    _unique(ctx, data.get("studies", []), "slug", _("study"))
    for m in data.get("municipalities", []):
        _unique_names(ctx, m, "neighbourhoods", _("neighbourhood"))

    organisations: dict[str, dict[str, Any]] = {}
    for org in data.get("organisations", []):
        teams = {t["name"] for t in org.get("teams", [])}
        _unique(ctx, org.get("teams", []), "name", _("team"))
        muni: str | None = org.get("municipality")
        existing = (
            Organisation.objects.filter(name=org["name"]).select_related("municipality").first()
        )
        if muni is None and existing is not None and existing.municipality is not None:
            muni = existing.municipality.name
        if muni is not None and muni not in municipalities:
            ctx.problem(
                org,
                "municipality",
                _("there is no municipality %(name)s: add it under municipalities:.")
                % {"name": muni},
            )
        if existing is not None:
            teams |= set(existing.teams.values_list("name", flat=True))
        organisations[org["name"]] = {"teams": teams, "municipality": muni, "kind": org["kind"]}
        for team in org.get("teams", []):
            names = team.get("neighbourhoods", [])
            if names and muni is None:
                ctx.problem(
                    team,
                    "neighbourhoods",
                    _(
                        "team %(team)s lists neighbourhoods, but %(org)s names no municipality (add municipality: to the organisation)."
                    )
                    % {"team": team["name"], "org": org["name"]},
                )
                continue
            _unique_names(ctx, team, "neighbourhoods", _("neighbourhood"))
            for i, name in enumerate(names):
                if muni is not None and name not in hoods.get(muni, set()):
                    ctx.problem(
                        team["neighbourhoods"],
                        i,
                        _(
                            "%(muni)s has no neighbourhood %(name)s: add it to the municipality's neighbourhoods."
                        )
                        % {"muni": muni, "name": name},
                    )
    for org in Organisation.objects.exclude(name__in=list(organisations)).prefetch_related("teams"):
        organisations[org.name] = {
            "teams": {t.name for t in org.teams.all()},
            "municipality": None,
            "kind": org.kind,
        }

    for user in data.get("users", []):
        org = organisations.get(user["organisation"])
        if org is None:
            ctx.problem(
                user,
                "organisation",
                _("there is no organisation %(name)s: add it under organisations:.")
                % {"name": user["organisation"]},
            )
            continue
        team = user.get("team")
        if team is not None and team not in org["teams"]:
            ctx.problem(
                user,
                "team",
                _("%(org)s has no team %(team)s: add it under the organisation's teams:.")
                % {"org": user["organisation"], "team": team},
            )
        if user["role"] in (Role.TEAM_MANAGER, Role.PROFESSIONAL) and team is None:
            ctx.problem(
                user,
                "role",
                _("a %(role)s works in a team: add team: to this user.")
                % {"role": Role(user["role"]).label},
            )
        if user["role"] == Role.POLICY_MAKER and org["kind"] != "municipality":
            ctx.problem(
                user,
                "organisation",
                _(
                    "a policy maker belongs to a municipality's organisation (kind: municipality); %(org)s is not one."
                )
                % {"org": user["organisation"]},
            )
        if (
            user["role"] == Role.POLICY_MAKER
            and org["kind"] == "municipality"
            and not org["municipality"]
        ):
            ctx.problem(
                user,
                "organisation",
                _(
                    "%(org)s names no municipality, so a policy maker there would see no figures: add municipality: to it."
                )
                % {"org": user["organisation"]},
            )
    file_roles = {u["username"]: u["role"] for u in data.get("users", [])}
    for study in data.get("studies", []):

        def report(path: tuple[Any, ...], message: str, study: Any = study) -> None:
            ctx.problems.append((_line_of(study, list(path)), message))

        check_study(study, report, organisations=set(organisations), file_roles=file_roles)


def _org_municipalities(data: LineDict) -> set[str]:
    names = {o["municipality"] for o in data.get("organisations", []) if o.get("municipality")}
    names |= set(
        Organisation.objects.filter(
            name__in=[o["name"] for o in data.get("organisations", [])], municipality__isnull=False
        ).values_list("municipality__name", flat=True)
    )
    return names


def _unique(ctx: _Context, items: LineList, key: str, what: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item[key] in seen:
            ctx.problem(
                items,
                i,
                _("%(what)s %(name)s is named twice; keep one.")
                % {"what": what, "name": item[key]},
            )
        seen.add(item[key])


def _unique_names(ctx: _Context, node: LineDict, key: str, what: str) -> None:
    seen: set[str] = set()
    for i, name in enumerate(node.get(key, [])):
        if name in seen:
            ctx.problem(
                node[key],
                i,
                _("%(what)s %(name)s is named twice; keep one.") % {"what": what, "name": name},
            )
        seen.add(name)
