"""A study entry: its checks beyond the schema and how it is applied.

One set of rules for ``werkplaats setup`` and for the researcher's study form in the
browser: both build the same entry (the ``studies:`` item of the setup file), check it
with the schema (``schema.study_schema_problems``) and with ``check_study``, and write it
with ``apply_study``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from werkplaats.partnership.models import Membership, Organisation, Role, User
from werkplaats.programme.models import ConsentText, Focus, Study, StudyParticipation, SubTheme
from werkplaats.programme.setup_file.changes import assign, set_many

# Where a problem is (a path into the entry, e.g. ("researchers", 2)) and what it is.
Report = Callable[[tuple[Any, ...], str], None]


def title_pair(value: Any) -> tuple[str, str]:
    if isinstance(value, dict):
        return str(value.get("nl") or value.get("en")), str(value.get("en", ""))
    return str(value), ""


def check_study(
    study: dict[str, Any],
    report: Report,
    *,
    organisations: set[str],
    file_roles: dict[str, str] | None = None,
) -> None:
    """What a study entry refers to must exist: researchers (with the researcher role),
    organisations, sub-themes, foci; and it may not end before it starts.

    ``file_roles`` are the roles of people the setup file itself adds.
    """
    file_roles = file_roles or {}
    names = set(study.get("researchers", []))
    known_users = set(file_roles) | set(
        User.objects.filter(username__in=names).values_list("username", flat=True)
    )
    stored_researchers = set(
        Membership.objects.filter(user__username__in=names, role=Role.RESEARCHER).values_list(
            "user__username", flat=True
        )
    )
    subthemes = set(SubTheme.objects.values_list("code", flat=True))
    foci = set(Focus.objects.values_list("code", flat=True))
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
            _("there is no focus %(name)s in the programme (see the programme map for the codes)."),
        ),
    ):
        for i, name in enumerate(study.get(key, [])):
            if name not in known:
                report((key, i), what % {"name": name})
    for i, entry in enumerate(study.get("organisations", [])):
        name = entry if isinstance(entry, str) else entry["name"]
        if name not in organisations:
            report(
                ("organisations", i),
                _("there is no organisation %(name)s: add it under organisations:.")
                % {"name": name},
            )
    for i, name in enumerate(study.get("researchers", [])):
        role = file_roles.get(name)
        is_researcher = name in stored_researchers if role is None else role == Role.RESEARCHER
        if name in known_users and not is_researcher:
            report(
                ("researchers", i),
                _("%(name)s is not a researcher: give them role: researcher first.")
                % {"name": name},
            )
    start = dt.date.fromisoformat(study["start"])
    if study.get("end") and dt.date.fromisoformat(study["end"]) < start:
        report(
            ("end",),
            _("the study ends (%(end)s) before it starts (%(start)s).")
            % {"end": study["end"], "start": study["start"]},
        )


def apply_study(s: dict[str, Any], changes: list[str], study: Study | None = None) -> Study:
    """Make the study match its entry (``study``: the one being edited, else by slug)."""
    title, title_en = title_pair(s["title"])
    client_title, client_title_en = (
        title_pair(s["client_title"]) if s.get("client_title") else ("", "")
    )
    values: dict[str, Any] = {
        "title": title,
        "title_en": title_en,
        "client_title": client_title,
        "client_title_en": client_title_en,
        "question": s["question"],
        "design": s["design"],
        "participation": s.get("participation", Study.Participation.CONSULTED),
        "phase": s.get("phase", Study.Phase.DESIGN),
        "start": dt.date.fromisoformat(s["start"]),
        "end": dt.date.fromisoformat(s["end"]) if s.get("end") else None,
    }
    if study is None:
        study = Study.objects.filter(slug=s["slug"]).first()
    else:
        values["slug"] = s["slug"]
    label = _("study %(slug)s") % {"slug": s["slug"]}
    if study is None:
        study = Study(slug=s["slug"], **values)
        study.full_clean()
        study.save()
        changes.append(_("created %(what)s") % {"what": label})
    elif assign(study, values, label, changes):
        study.full_clean()
        study.save()
    if "researchers" in s:
        set_many(
            study.researchers,
            list(User.objects.filter(username__in=s["researchers"])),
            label,
            _("researchers"),
            changes,
        )
    set_many(
        study.subthemes,
        list(SubTheme.objects.filter(code__in=s.get("sub_themes", []))),
        label,
        _("sub-themes"),
        changes,
    )
    if "foci" in s:
        set_many(
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
        consent_text(changes, label, study=study, text=s["consent_text"])
    return study


def consent_text(
    changes: list[str],
    label: str,
    *,
    text: dict[str, str],
    study: Study | None = None,
    organisation: Organisation | None = None,
) -> None:
    before = ConsentText.objects.filter(study=study, organisation=organisation).count()
    from werkplaats.programme import services  # services uses this module too

    services.consent_text_set(
        study=study, organisation=organisation, text_nl=text["nl"], text_en=text.get("en", "")
    )
    if ConsentText.objects.filter(study=study, organisation=organisation).count() != before:
        changes.append(_("%(what)s: new version of the consent text") % {"what": label})
