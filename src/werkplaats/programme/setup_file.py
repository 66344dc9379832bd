"""``werkplaats setup FILE.yaml``: a workplace declared in one file (docs/setup.md).

The file says what must exist: municipalities and neighbourhoods, organisations and
teams, people and their roles, studies. Applying it makes the database match, in one
transaction, after every check has passed; running it twice changes nothing, changing a
line changes that one thing. Nothing that the file does not name is deleted (a person
who leaves is deactivated with ``active: false``, never removed).

Every problem is reported with the line of the file it is on, all at once, before
anything is written.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from django.db import transaction
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
from werkplaats.programme.models import (
    ConsentText,
    Focus,
    Study,
    StudyParticipation,
    SubTheme,
)

FORMAT = "werkplaats.setup/1"
SCHEMA_PATH = Path(__file__).with_name("setup.schema.json")
# Accounts setup can make: staff of the partnership. Clients get theirs from their
# professional; network members need none.
STAFF_ROLES = [r for r in Role.values if r not in (Role.CLIENT, Role.NETWORK_MEMBER)]


class SetupError(Exception):
    """The file cannot be applied; ``problems`` are (line, message) pairs."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [
            _("line %(line)d: %(message)s") % {"line": n, "message": m} for n, m in self.problems
        ]


# --- reading, with line numbers --------------------------------------------------------


class LineDict(dict[str, Any]):
    line: int = 0
    key_lines: dict[str, int]


class LineList(list[Any]):
    line: int = 0
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in result:
            raise SetupError([(line, _("%(key)s appears twice here; keep one.") % {"key": key})])
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _sequence)
# Dates stay text here: the schema checks them (2023-02-30 is named as a wrong date, with
# its line, instead of stopping the reader).
_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),  # type: ignore[arg-type]
)


def _dates_as_text(value: Any) -> Any:
    """YAML reads 2023-01-01 as a date; the schema checks text, so dates become ISO text."""
    if isinstance(value, LineDict):
        for key in value:
            value[key] = _dates_as_text(value[key])
    elif isinstance(value, LineList):
        for i, item in enumerate(value):
            value[i] = _dates_as_text(item)
    elif isinstance(value, dt.date):
        return value.isoformat()
    return value


def load(text: str) -> LineDict:
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 — a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise SetupError(
            [(line, _("this is not valid YAML: %(problem)s") % {"problem": exc.problem})]
        ) from None
    if not isinstance(data, LineDict):
        raise SetupError(
            [(1, _("the file must be a mapping that starts with format: %(f)s") % {"f": FORMAT})]
        )
    _dates_as_text(data)  # in place: the mapping itself comes back
    return data


def _line_of(root: Any, path: list[Any]) -> int:
    line = getattr(root, "line", 1)
    node = root
    for step in path:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines.get(step, line)
        elif isinstance(node, LineList) and isinstance(step, int) and step < len(node):
            line = node.item_lines[step]
        else:
            break
        node = node[step]
        line = getattr(node, "line", line) if isinstance(node, LineDict | LineList) else line
    return line


def _where(path: list[Any]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def _schema_message(error: jsonschema.ValidationError) -> str:
    where = _where(list(error.absolute_path)) or _("the file")
    kind = error.validator
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else error.message
        return _("%(where)s needs %(name)s.") % {"where": where, "name": missing}
    if kind == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return _(
            "%(where)s has a key setup does not know: %(detail)s (known keys: %(allowed)s)."
        ) % {
            "where": where,
            "detail": error.message.split("(")[-1].rstrip(")"),
            "allowed": allowed,
        }
    if kind == "enum":
        options = ", ".join(str(o) for o in error.validator_value)
        return _("%(where)s is %(value)r; it must be one of: %(options)s.") % {
            "where": where,
            "value": error.instance,
            "options": options,
        }
    if kind == "const":
        return _("%(where)s must be %(value)s.") % {"where": where, "value": error.validator_value}
    if kind == "type":
        expected = error.validator_value
        hint = ""
        if expected == "string" and isinstance(error.instance, int | float):
            hint = " " + _("Put it in quotes, e.g. '%(value)s'.") % {"value": error.instance}
        return (
            _("%(where)s must be %(expected)s, not %(value)r.")
            % {
                "where": where,
                "expected": _type_name(expected),
                "value": error.instance,
            }
            + hint
        )
    if kind == "format" and error.validator_value == "date":
        return _("%(where)s: %(value)r is not a date in the calendar.") % {
            "where": where,
            "value": error.instance,
        }
    if kind == "pattern" or kind == "format":
        return _("%(where)s: %(value)r is not in the right form (%(rule)s).") % {
            "where": where,
            "value": error.instance,
            "rule": error.schema.get("description", error.validator_value),
        }
    if kind in ("minimum", "maximum"):
        return _("%(where)s: %(value)r is out of range (%(rule)s).") % {
            "where": where,
            "value": error.instance,
            "rule": f"{kind} {error.validator_value}",
        }
    if kind == "minLength":
        return _("%(where)s may not be empty.") % {"where": where}
    if kind == "uniqueItems":
        return _("%(where)s names something twice.") % {"where": where}
    return f"{where}: {error.message}"


def _type_name(expected: Any) -> str:
    names = {
        "string": _("text"),
        "array": _("a list"),
        "object": _("a mapping (key: value lines)"),
        "integer": _("a whole number"),
        "boolean": _("true or false"),
    }
    if isinstance(expected, list):
        return _(" or ").join(str(names.get(e, e)) for e in expected)
    return str(names.get(expected, str(expected)))


def _error_line(data: LineDict, error: jsonschema.ValidationError) -> int:
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, LineDict):
        known = error.schema.get("properties", {})
        extra = [instance.key_lines[k] for k in instance if k not in known]
        if extra:
            return min(extra)
    return _line_of(data, list(error.absolute_path))


def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def check_schema(data: LineDict) -> None:
    validator = jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    problems = [(_error_line(data, e), _schema_message(e)) for e in validator.iter_errors(data)]
    if problems:
        raise SetupError(problems)


# --- the plan --------------------------------------------------------------------------


@dataclass
class Result:
    changes: list[str] = field(default_factory=list)
    invitations: list[tuple[str, invitations.Sent]] = field(default_factory=list)
    to_invite: list[int] = field(default_factory=list)


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


def _title(value: Any) -> tuple[str, str]:
    if isinstance(value, dict):
        return str(value.get("nl") or value.get("en")), str(value.get("en", ""))
    return str(value), ""


def _check_references(ctx: _Context) -> None:
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

    usernames = {u["username"] for u in data.get("users", [])}
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

    known_users = usernames | set(
        User.objects.filter(username__in=_study_people(data)).values_list("username", flat=True)
    )
    subthemes = set(SubTheme.objects.values_list("code", flat=True))
    foci = set(Focus.objects.values_list("code", flat=True))
    for study in data.get("studies", []):
        for key, known, what in (
            (
                "researchers",
                known_users,
                _("there is no user %(name)s: add them under users: (role: researcher)."),
            ),
            (
                "sub_themes",
                subthemes,
                _(
                    "there is no sub-theme %(name)s in the programme (see the programme map for the codes)."
                ),
            ),
            (
                "foci",
                foci,
                _(
                    "there is no focus %(name)s in the programme (see the programme map for the codes)."
                ),
            ),
        ):
            for i, name in enumerate(study.get(key, [])):
                if name not in known:
                    ctx.problem(study[key], i, what % {"name": name})
        for i, entry in enumerate(study.get("organisations", [])):
            name = entry if isinstance(entry, str) else entry["name"]
            if name not in organisations:
                ctx.problem(
                    study["organisations"],
                    i,
                    _("there is no organisation %(name)s: add it under organisations:.")
                    % {"name": name},
                )
        researcher_roles = {u["username"]: u["role"] for u in data.get("users", [])}
        for i, name in enumerate(study.get("researchers", [])):
            role = researcher_roles.get(name)
            if role is None:
                is_researcher = Membership.objects.filter(
                    user__username=name, role=Role.RESEARCHER
                ).exists()
            else:
                is_researcher = role == Role.RESEARCHER
            if name in known_users and not is_researcher:
                ctx.problem(
                    study["researchers"],
                    i,
                    _("%(name)s is not a researcher: give them role: researcher first.")
                    % {"name": name},
                )
        start = dt.date.fromisoformat(study["start"])
        if study.get("end") and dt.date.fromisoformat(study["end"]) < start:
            ctx.problem(
                study,
                "end",
                _("the study ends (%(end)s) before it starts (%(start)s).")
                % {"end": study["end"], "start": study["start"]},
            )


def _org_municipalities(data: LineDict) -> set[str]:
    names = {o["municipality"] for o in data.get("organisations", []) if o.get("municipality")}
    names |= set(
        Organisation.objects.filter(
            name__in=[o["name"] for o in data.get("organisations", [])], municipality__isnull=False
        ).values_list("municipality__name", flat=True)
    )
    return names


def _study_people(data: LineDict) -> set[str]:
    return {name for s in data.get("studies", []) for name in s.get("researchers", [])}


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


# --- applying --------------------------------------------------------------------------


def _assign(obj: Any, values: dict[str, Any], label: str, changes: list[str]) -> bool:
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        changes.append(
            _("%(what)s: %(field)s %(old)r → %(new)r")
            % {"what": label, "field": name, "old": getattr(obj, name), "new": values[name]}
        )
        setattr(obj, name, values[name])
    return bool(changed)


def _set_many(
    relation: Any, wanted: list[Any], label: str, field_name: str, changes: list[str]
) -> None:
    current = set(relation.all())
    if current != set(wanted):
        changes.append(
            _("%(what)s: %(field)s set to %(new)s")
            % {
                "what": label,
                "field": field_name,
                "new": ", ".join(sorted(_short(w) for w in wanted)) or "—",
            }
        )
        relation.set(wanted)


def _short(obj: Any) -> str:
    for attr in ("code", "username", "name"):
        if hasattr(obj, attr):
            return str(getattr(obj, attr))
    return str(obj)


def _apply(data: LineDict, result: Result) -> None:
    changes = result.changes
    municipalities: dict[str, Municipality] = {}
    for m in data.get("municipalities", []):
        muni, created = Municipality.objects.get_or_create(
            name=m["name"], defaults={"cbs_code": m.get("cbs_code", "")}
        )
        label = _("municipality %(name)s") % {"name": muni.name}
        if created:
            changes.append(_("created %(what)s") % {"what": label})
        elif "cbs_code" in m and _assign(muni, {"cbs_code": m["cbs_code"]}, label, changes):
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
        elif _assign(org, values, label, changes):
            org.full_clean()
            org.save()
        if "care_consent" in o:
            _consent_text(changes, label, organisation=org, text=o["care_consent"])
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
                _set_many(team.neighbourhoods, wanted, team_label, _("neighbourhoods"), changes)

    for u in data.get("users", []):
        _apply_user(u, result)

    for s in data.get("studies", []):
        _apply_study(s, changes)


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
    elif _assign(user, values, label, changes):
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
        _assign(keep, wanted, label, changes)
        keep.full_clean()
        keep.save()
    for extra in staff:
        if keep is not None and extra.pk != keep.pk:
            changes.append(
                _("%(what)s: no longer %(role)s in %(org)s")
                % {"what": label, "role": extra.role, "org": extra.organisation.name}
            )
            extra.delete()


def _apply_study(s: dict[str, Any], changes: list[str]) -> None:
    title, title_en = _title(s["title"])
    values: dict[str, Any] = {
        "title": title,
        "title_en": title_en,
        "question": s["question"],
        "design": s["design"],
        "participation": s.get("participation", Study.Participation.CONSULTED),
        "phase": s.get("phase", Study.Phase.DESIGN),
        "start": dt.date.fromisoformat(s["start"]),
        "end": dt.date.fromisoformat(s["end"]) if s.get("end") else None,
    }
    study = Study.objects.filter(slug=s["slug"]).first()
    label = _("study %(slug)s") % {"slug": s["slug"]}
    if study is None:
        study = Study(slug=s["slug"], **values)
        study.full_clean()
        study.save()
        changes.append(_("created %(what)s") % {"what": label})
    elif _assign(study, values, label, changes):
        study.full_clean()
        study.save()
    if "researchers" in s:
        _set_many(
            study.researchers,
            list(User.objects.filter(username__in=s["researchers"])),
            label,
            _("researchers"),
            changes,
        )
    _set_many(
        study.subthemes,
        list(SubTheme.objects.filter(code__in=s.get("sub_themes", []))),
        label,
        _("sub-themes"),
        changes,
    )
    if "foci" in s:
        _set_many(
            study.foci, list(Focus.objects.filter(code__in=s["foci"])), label, _("foci"), changes
        )
    if "organisations" in s:
        wanted = {}
        for entry in s["organisations"]:
            name, contribution = (
                (entry, "")
                if isinstance(entry, str)
                else (entry["name"], entry.get("contribution", ""))
            )
            wanted[name] = contribution
        current = {
            p.organisation.name: p for p in study.participations.select_related("organisation")
        }
        for name, participation in current.items():
            if name not in wanted:
                participation.delete()
                changes.append(
                    _("%(what)s: %(org)s no longer takes part") % {"what": label, "org": name}
                )
        for name, contribution in wanted.items():
            if name not in current:
                StudyParticipation.objects.create(
                    study=study,
                    organisation=Organisation.objects.get(name=name),
                    contribution=contribution,
                )
                changes.append(_("%(what)s: %(org)s takes part") % {"what": label, "org": name})
            elif current[name].contribution != contribution:
                current[name].contribution = contribution
                current[name].save(update_fields=["contribution"])
                changes.append(
                    _("%(what)s: contribution of %(org)s changed") % {"what": label, "org": name}
                )
    if "consent_text" in s:
        _consent_text(changes, label, study=study, text=s["consent_text"])


def _consent_text(
    changes: list[str],
    label: str,
    *,
    text: dict[str, str],
    study: Study | None = None,
    organisation: Organisation | None = None,
) -> None:
    from werkplaats.programme import services

    before = ConsentText.objects.filter(study=study, organisation=organisation).count()
    services.consent_text_set(
        study=study, organisation=organisation, text_nl=text["nl"], text_en=text.get("en", "")
    )
    if ConsentText.objects.filter(study=study, organisation=organisation).count() != before:
        changes.append(_("%(what)s: new version of the consent text") % {"what": label})


def run(path: Path, *, dry_run: bool = False, language: str = "nl") -> Result:
    """Check the file, then apply it in one transaction (or, with ``dry_run``, roll back).

    New people are invited once everything is written: an invitation never goes out
    for an account that a failed run did not make.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise SetupError(
            [(line, _("the file is not UTF-8 text; save it as UTF-8 and try again."))]
        ) from None
    data = load(text)
    check_schema(data)
    ctx = _Context(data)
    _check_references(ctx)
    if ctx.problems:
        raise SetupError(ctx.problems)
    result = Result()
    with transaction.atomic():
        _apply(data, result)
        if dry_run:
            transaction.set_rollback(True)
    if not dry_run:
        for user in User.objects.filter(pk__in=result.to_invite).order_by("username"):
            result.invitations.append((user.username, invitations.invite(user, language=language)))
    return result
