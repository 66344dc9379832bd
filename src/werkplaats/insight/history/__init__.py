"""Importing an organisation's history: all or nothing, every rejected row named.

``werkplaats import history DIR --organisation NAME [--update] [--dry-run]`` reads
``clients`` and ``trajectories`` (required), ``contacts``, ``measurements``, ``networks``,
``consents`` and ``waves`` (each a CSV, Parquet, Excel, SPSS or Stata file; see
``read.py`` and docs/insight.md). Every row of every file is checked first; when any row
is rejected nothing is written and the report names each one (file, line, reason, in the
active language). Otherwise everything is written in one transaction through the bulk
services of casework, measurements and programme, and the planner's statistics are
refreshed.

The organisation's own ``client_ref`` and ``trajectory_ref`` are not stored: a keyed hash
of each (``HistoryKey``) is, so that importing the same rows again is refused — or, with
``--update``, updates what the earlier import wrote instead of adding it twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from werkplaats.casework import bulk as casework_bulk
from werkplaats.casework.models import (
    ActorKind,
    Client,
    Contact,
    Method,
    NetworkMember,
    NetworkSnapshot,
    TargetGroup,
    Trajectory,
    WorkingPrinciple,
)
from werkplaats.core.audit import log_access
from werkplaats.core.bulk import insert_rows, optimize
from werkplaats.insight.history import read
from werkplaats.insight.history.read import CellError, FileProblem, Table
from werkplaats.insight.models import HistoryKey
from werkplaats.measurements import bulk as measurements_bulk
from werkplaats.measurements.models import (
    Answer,
    Assessment,
    Informant,
    MeasurementPlan,
    MethodSchedule,
)
from werkplaats.measurements.schedule import is_known_wave
from werkplaats.partnership.models import Neighbourhood, Organisation, Role, User
from werkplaats.programme import services as programme_services
from werkplaats.programme.models import Consent, Study, StudyParticipation

FILES = ("clients", "trajectories", "contacts", "measurements", "networks", "consents", "waves")
REQUIRED = {
    "clients": ["client_ref", "birth_year", "language", "neighbourhood"],
    "trajectories": [
        "trajectory_ref",
        "client_ref",
        "professional",
        "team",
        "start",
        "end",
        "status",
        "target_groups",
        "method",
    ],
    "contacts": [
        "trajectory_ref",
        "date",
        "duration_minutes",
        "mode",
        "principles",
        "actors",
        "alliance_heard",
        "alliance_my_goals",
        "alliance_trust",
        "alliance_next",
    ],
    "measurements": [
        "trajectory_ref",
        "instrument",
        "informant",
        "wave",
        "wave_date",
        "item_id",
        "value",
    ],
    "networks": ["trajectory_ref", "date", "label", "relation", "formal", "closeness"],
    "consents": ["client_ref", "purpose", "given", "withdrawn"],
    "waves": ["wave"],
}
ALLIANCE = ("alliance_heard", "alliance_my_goals", "alliance_trust", "alliance_next")
PROGRESS_EVERY = 20_000

Progress = Callable[[str, int, int | None], None]


class HistoryImportError(ValueError):
    """Rows were rejected; nothing was written."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(report.text())


@dataclass
class ImportReport:
    rejected: list[tuple[str, int, str]] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def reject(self, file: str, line: int, reason: str) -> None:
        self.rejected.append((file, line, reason))

    def text(self) -> str:
        if not self.rejected:
            made = ", ".join(f"{v} {k}" for k, v in self.created.items())
            text = _("Imported: %(made)s.") % {"made": made}
            if any(self.updated.values()):
                changed = ", ".join(f"{v} {k}" for k, v in self.updated.items() if v)
                text += " " + _("Updated: %(changed)s.") % {"changed": changed}
            return text
        n = len(self.rejected)
        lines = [
            ngettext(
                "%(n)d row rejected; nothing was imported.",
                "%(n)d rows rejected; nothing was imported.",
                n,
            )
            % {"n": n}
        ]
        lines += [
            _("%(file)s line %(line)d: %(reason)s") % {"file": f, "line": n, "reason": why}
            if n
            else f"{f}: {why}"
            for f, n, why in self.rejected
        ]
        return "\n".join(lines)


def history_key(organisation_id: int, kind: str, ref: str) -> str:
    """The keyed hash by which an organisation's own reference is recognised again."""
    return hmac.new(
        settings.PSEUDONYM_KEY.encode(),
        f"history:{organisation_id}:{kind}:{ref}".encode(),
        hashlib.sha256,
    ).hexdigest()


@dataclass
class _Trajectory:
    line: int
    client_ref: str
    values: casework_bulk.TrajectoryValues | None  # None: imported before, not in the file
    pk: int | None  # set when imported before
    ended: bool
    schedule: tuple[bool, int, bool, int]
    professional_id: int


@dataclass
class _Measurement:
    line: int
    trajectory_ref: str
    instrument: str
    informant: str
    wave: str
    date: dt.date
    answers: list[tuple[str, Any]] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)


class _Importer:
    def __init__(
        self,
        org: Organisation,
        tables: dict[str, Table],
        report: ImportReport,
        update: bool,
        progress: Progress | None,
    ) -> None:
        self.org = org
        self.tables = tables
        self.report = report
        self.update = update
        self.progress = progress
        self.hoods = {n.name: n.pk for n in Neighbourhood.objects.all()}
        self.teams = {t.name: t.pk for t in org.teams.all()}
        self.professionals = dict(
            User.objects.filter(
                memberships__organisation=org, memberships__role=Role.PROFESSIONAL
            ).values_list("username", "pk")
        )
        self.groups = dict(TargetGroup.objects.values_list("code", "pk"))
        self.methods = dict(Method.objects.values_list("name", "pk"))
        self.principles = dict(WorkingPrinciple.objects.values_list("code", "pk"))
        self.actors = dict(ActorKind.objects.values_list("code", "pk"))
        self.checkers = measurements_bulk.checkers_for(org.pk)
        default = MeasurementPlan()
        self.default_schedule = (
            default.intake,
            default.interval_months,
            default.closure,
            default.follow_up_months,
        )
        self.schedules: dict[int | None, tuple[bool, int, bool, int]] = {
            s.method_id: (s.intake, s.interval_months, s.closure, s.follow_up_months)
            for s in MethodSchedule.objects.all()
        }
        self.known: dict[tuple[str, str], tuple[int, dt.datetime]] = {}
        for kind, digest, client_id, trajectory_id, at in HistoryKey.objects.filter(
            organisation=org
        ).values_list("kind", "digest", "client_id", "trajectory_id", "imported_at"):
            pk = client_id if kind == HistoryKey.Kind.CLIENT else trajectory_id
            if pk is not None:
                self.known[(kind, digest)] = (pk, at)
        self.clients: dict[str, tuple[int, casework_bulk.ClientValues, int | None]] = {}
        self.trajectories: dict[str, _Trajectory] = {}
        self.declared_waves: set[str] = set()
        self.contacts: list[tuple[str, int, casework_bulk.ContactValues]] = []
        self.measurements: dict[tuple[str, str, str, str], _Measurement] = {}
        self.networks: dict[tuple[str, dt.date], list[casework_bulk.MemberValues]] = {}
        self.consents: dict[tuple[str, int | None], tuple[int, dt.date, dt.date | None]] = {}

    # -- helpers -------------------------------------------------------------------------

    def _earlier(self, kind: str, ref: str) -> tuple[int, dt.datetime] | None:
        return self.known.get((kind, history_key(self.org.pk, kind, ref)))

    def _rows(self, name: str) -> Any:
        table = self.tables.get(name)
        if table is None:
            return
        index = {c: table.index(c) for c in REQUIRED[name]}
        done = 0
        try:
            for line, cells in table.rows():
                yield line, {c: cells[i] for c, i in index.items()}
                done += 1
                if self.progress is not None and done % PROGRESS_EVERY == 0:
                    self.progress(table.label, done, table.rows_hint)
        except FileProblem as exc:
            self.report.reject(table.label, exc.line, str(exc))
        if self.progress is not None:
            self.progress(table.label, done, done)

    def _reject(self, name: str, line: int, reason: str) -> None:
        self.report.reject(self.tables[name].label, line, reason)

    def _trajectory_for(self, name: str, line: int, ref: str) -> _Trajectory | None:
        """The trajectory a row belongs to: from this import, or (with --update) an earlier."""
        found = self.trajectories.get(ref)
        if found is not None:
            return found
        earlier = self._earlier(HistoryKey.Kind.TRAJECTORY, ref)
        if earlier is None:
            self._reject(name, line, _("unknown trajectory_ref %(ref)r") % {"ref": ref})
            return None
        if not self.update:
            self._reject(name, line, self._again(ref, earlier[1]))
            return None
        t = Trajectory.objects.select_related("measurement_plan").get(pk=earlier[0])
        plan = getattr(t, "measurement_plan", None)
        schedule = (
            (plan.intake, plan.interval_months, plan.closure, plan.follow_up_months)
            if plan is not None
            else self.schedules.get(t.method_id, self.default_schedule)
        )
        found = _Trajectory(0, "", None, t.pk, t.end is not None, schedule, t.lead_professional_id)
        self.trajectories[ref] = found
        return found

    @staticmethod
    def _again(ref: str, at: dt.datetime) -> str:
        return _("%(ref)r was imported before (on %(date)s); import with --update to update it") % {
            "ref": ref,
            "date": timezone.localtime(at).date().isoformat(),
        }

    # -- the files -----------------------------------------------------------------------

    def check(self) -> None:
        self._clients()
        self._trajectories()
        self._waves()
        self._contacts()
        self._measurements()
        self._networks()
        self._consents()

    def _clients(self) -> None:
        year = dt.date.today().year
        for line, row in self._rows("clients"):
            ref = read.text(row["client_ref"])
            try:
                if not ref:
                    raise CellError(_("client_ref is empty"))
                if ref in self.clients:
                    raise CellError(
                        _("client_ref %(ref)r appears twice (first on line %(line)d)")
                        % {"ref": ref, "line": self.clients[ref][0]}
                    )
                earlier = self._earlier(HistoryKey.Kind.CLIENT, ref)
                if earlier is not None and not self.update:
                    raise CellError(self._again(ref, earlier[1]))
                hood = read.text(row["neighbourhood"])
                if hood and hood not in self.hoods:
                    raise CellError(_("unknown neighbourhood %(name)r") % {"name": hood})
                language = read.text(row["language"])
                if len(language) > casework_bulk.LANGUAGE_MAX:
                    raise CellError(
                        _("language is longer than %(n)d characters")
                        % {"n": casework_bulk.LANGUAGE_MAX}
                    )
                birth = row["birth_year"]
                values = casework_bulk.ClientValues(
                    birth_year=None if read.is_blank(birth) else read.whole(birth, 1900, year),
                    language=language,
                    neighbourhood_id=self.hoods.get(hood),
                )
                self.clients[ref] = (line, values, earlier[0] if earlier else None)
            except CellError as exc:
                self._reject("clients", line, str(exc))

    def _trajectories(self) -> None:
        statuses = Trajectory.Status.values
        for line, row in self._rows("trajectories"):
            ref = read.text(row["trajectory_ref"])
            try:
                if not ref:
                    raise CellError(_("trajectory_ref is empty"))
                if ref in self.trajectories:
                    raise CellError(
                        _("trajectory_ref %(ref)r appears twice (first on line %(line)d)")
                        % {"ref": ref, "line": self.trajectories[ref].line}
                    )
                earlier = self._earlier(HistoryKey.Kind.TRAJECTORY, ref)
                if earlier is not None and not self.update:
                    raise CellError(self._again(ref, earlier[1]))
                client_ref = read.text(row["client_ref"])
                if client_ref not in self.clients:
                    before = self._earlier(HistoryKey.Kind.CLIENT, client_ref)
                    if before is None:
                        raise CellError(_("unknown client_ref %(ref)r") % {"ref": client_ref})
                    self.clients[client_ref] = (
                        0,
                        casework_bulk.ClientValues(None, "", None),
                        before[0],
                    )
                username = read.text(row["professional"])
                user = self.professionals.get(username)
                if user is None:
                    raise CellError(
                        _("%(name)r is not a professional of %(org)s")
                        % {"name": username, "org": self.org.name}
                    )
                team = self.teams.get(read.text(row["team"]))
                if team is None:
                    raise CellError(
                        _("%(name)r is not a team of %(org)s")
                        % {"name": read.text(row["team"]), "org": self.org.name}
                    )
                start = read.date(row["start"])
                end = None if read.is_blank(row["end"]) else read.date(row["end"])
                status = read.text(row["status"]) or Trajectory.Status.OPEN
                if status not in statuses:
                    raise CellError(
                        _("status %(value)r is not one of %(allowed)s")
                        % {"value": status, "allowed": ", ".join(statuses)}
                    )
                if end is not None and end < start:
                    raise CellError(_("end lies before start"))
                if status == Trajectory.Status.CLOSED and end is None:
                    raise CellError(_("a closed trajectory needs an end date"))
                codes = read.codes(row["target_groups"])
                unknown = [c for c in codes if c not in self.groups]
                if unknown:
                    raise CellError(
                        _("unknown target groups: %(codes)s") % {"codes": ", ".join(unknown)}
                    )
                method = read.text(row["method"])
                if method and method not in self.methods:
                    raise CellError(_("unknown method %(name)r") % {"name": method})
                method_id = self.methods.get(method)
                self.trajectories[ref] = _Trajectory(
                    line,
                    client_ref,
                    casework_bulk.TrajectoryValues(
                        client_id=0,  # set when the client is written
                        lead_professional_id=user,
                        team_id=team,
                        start=start,
                        end=end,
                        status=status,
                        method_id=method_id,
                        target_group_ids=tuple(self.groups[c] for c in codes),
                    ),
                    earlier[0] if earlier else None,
                    end is not None,
                    self.schedules.get(method_id, self.default_schedule),
                    user,
                )
            except CellError as exc:
                self._reject("trajectories", line, str(exc))

    def _waves(self) -> None:
        for line, row in self._rows("waves"):
            wave = read.text(row["wave"])
            if not wave or len(wave) > Assessment._meta.get_field("wave").max_length:  # type: ignore[operator]
                self._reject("waves", line, _("a wave needs a name of at most 20 characters"))
            else:
                self.declared_waves.add(wave)

    def _contacts(self) -> None:
        modes = Contact.Mode.values
        for line, row in self._rows("contacts"):
            try:
                ref = read.text(row["trajectory_ref"])
                t = self._trajectory_for("contacts", line, ref)
                if t is None:
                    continue
                mode = read.text(row["mode"])
                if mode not in modes:
                    raise CellError(
                        _("mode %(value)r is not one of %(allowed)s")
                        % {"value": mode, "allowed": ", ".join(modes)}
                    )
                ps, acts = read.codes(row["principles"]), read.codes(row["actors"])
                bad = [p for p in ps if p not in self.principles]
                bad += [a for a in acts if a not in self.actors]
                if bad:
                    raise CellError(
                        _("unknown principles or actors: %(codes)s") % {"codes": ", ".join(bad)}
                    )
                alliance = [
                    None if read.is_blank(row[k]) else read.whole(row[k], 1, 5) for k in ALLIANCE
                ]
                self.contacts.append(
                    (
                        ref,
                        line,
                        casework_bulk.ContactValues(
                            trajectory_id=0,
                            recorded_by_id=t.professional_id,
                            date=read.date(row["date"]),
                            duration_minutes=read.whole(row["duration_minutes"], 1, 600),
                            mode=mode,
                            principle_ids=tuple(self.principles[p] for p in ps),
                            actor_ids=tuple(self.actors[a] for a in acts),
                            alliance_heard=alliance[0],
                            alliance_my_goals=alliance[1],
                            alliance_trust=alliance[2],
                            alliance_next=alliance[3],
                        ),
                    )
                )
            except CellError as exc:
                self._reject("contacts", line, str(exc))

    def _measurements(self) -> None:
        informants = Informant.values
        dates: dict[Any, dt.date] = {}
        waves: dict[tuple[tuple[bool, int, bool, int], bool, str], bool] = {}
        for line, row in self._rows("measurements"):
            try:
                ref = read.text(row["trajectory_ref"])
                t = self.trajectories.get(ref) or self._trajectory_for("measurements", line, ref)
                if t is None:
                    continue
                slug = read.text(row["instrument"])
                checker = self.checkers.get(slug)
                if checker is None:
                    raise CellError(_("unknown instrument %(slug)r") % {"slug": slug})
                informant = read.text(row["informant"])
                if informant not in informants:
                    raise CellError(
                        _("informant %(value)r is not one of %(allowed)s")
                        % {"value": informant, "allowed": ", ".join(informants)}
                    )
                wave = read.text(row["wave"])
                known = waves.get((t.schedule, t.ended, wave))
                if known is None:
                    intake, interval, closure, follow_up = t.schedule
                    known = waves[(t.schedule, t.ended, wave)] = wave in self.declared_waves or (
                        is_known_wave(
                            wave,
                            ended=t.ended,
                            intake=intake,
                            interval_months=interval,
                            closure=closure,
                            follow_up_months=follow_up,
                        )
                    )
                if not known:
                    raise CellError(
                        _(
                            "wave %(wave)r is not a wave of this trajectory's measurement plan "
                            "(intake, m03, m06, …, closure, follow_up); declare other waves in "
                            "a waves file"
                        )
                        % {"wave": wave}
                    )
                raw_date = row["wave_date"]
                try:
                    day = dates[raw_date]
                except (KeyError, TypeError):
                    day = read.date(raw_date)
                    try:
                        dates[raw_date] = day
                    except TypeError:
                        pass
                item_id = read.text(row["item_id"])
                value, error = checker.check(item_id, read.answer(row["value"]))
                if error is not None:
                    if error.code == "unknown_item":
                        raise CellError(
                            _("%(slug)s has no item %(item)r") % {"slug": slug, "item": item_id}
                        )
                    raise CellError(
                        _("%(value)r is not an answer to %(item)s; allowed: %(allowed)s")
                        % {
                            "value": read.text(row["value"]),
                            "item": item_id,
                            "allowed": ", ".join(str(v) for v in error.allowed),
                        }
                    )
                key = (ref, slug, informant, wave)
                m = self.measurements.get(key)
                if m is None:
                    m = self.measurements[key] = _Measurement(line, ref, slug, informant, wave, day)
                elif m.date != day:
                    raise CellError(
                        _(
                            "wave_date %(date)s differs from line %(line)d of the same measurement (%(other)s)"
                        )
                        % {"date": day.isoformat(), "line": m.line, "other": m.date.isoformat()}
                    )
                if item_id in m.lines:
                    raise CellError(
                        _("%(item)s was answered already on line %(line)d for this measurement")
                        % {"item": item_id, "line": m.lines[item_id]}
                    )
                m.lines[item_id] = line
                m.answers.append((item_id, value))
            except CellError as exc:
                self._reject("measurements", line, str(exc))
        for (ref, slug, informant, wave), m in self.measurements.items():
            missing = self.checkers[slug].missing(frozenset(m.lines))
            if missing:
                self._reject(
                    "measurements",
                    m.line,
                    _(
                        "%(ref)s %(slug)s %(informant)s %(wave)s: required items unanswered: %(items)s"
                    )
                    % {
                        "ref": ref,
                        "slug": slug,
                        "informant": informant,
                        "wave": wave,
                        "items": ", ".join(missing),
                    },
                )

    def _networks(self) -> None:
        relations = NetworkMember.Relation.values
        for line, row in self._rows("networks"):
            try:
                ref = read.text(row["trajectory_ref"])
                if self._trajectory_for("networks", line, ref) is None:
                    continue
                relation = read.text(row["relation"])
                if relation not in relations:
                    raise CellError(
                        _("relation %(value)r is not one of %(allowed)s")
                        % {"value": relation, "allowed": ", ".join(relations)}
                    )
                label = read.text(row["label"])
                if not label:
                    raise CellError(_("label is empty"))
                if len(label) > casework_bulk.LABEL_MAX:
                    raise CellError(
                        _("label is longer than %(n)d characters") % {"n": casework_bulk.LABEL_MAX}
                    )
                self.networks.setdefault((ref, read.date(row["date"])), []).append(
                    casework_bulk.MemberValues(
                        label=label,
                        relation=relation,
                        formal=bool(read.whole(row["formal"], 0, 1)),
                        closeness=read.whole(row["closeness"], 1, 3),
                    )
                )
            except CellError as exc:
                self._reject("networks", line, str(exc))

    def _consents(self) -> None:
        if "consents" not in self.tables:
            return
        studies = dict(
            StudyParticipation.objects.filter(organisation=self.org).values_list(
                "study_id", "study__title"
            )
        )
        slugs: dict[str, int] = {}
        slug = "slug"  # studies get a slug with the workplace setup (issue 15, part 2)
        if any(f.name == slug for f in Study._meta.get_fields()):
            slugs = dict(Study.objects.values_list(slug, "pk"))
        exists = set(Study.objects.values_list("pk", flat=True))
        for line, row in self._rows("consents"):
            try:
                ref = read.text(row["client_ref"])
                if ref not in self.clients:
                    earlier = self._earlier(HistoryKey.Kind.CLIENT, ref)
                    if earlier is None:
                        raise CellError(_("unknown client_ref %(ref)r") % {"ref": ref})
                    if not self.update:
                        raise CellError(self._again(ref, earlier[1]))
                    self.clients[ref] = (0, casework_bulk.ClientValues(None, "", None), earlier[0])
                purpose = read.text(row["purpose"])
                study: int | None = None
                if purpose != Consent.Purpose.CARE:
                    study = int(purpose) if purpose.isdigit() else slugs.get(purpose)
                    if study is None or study not in exists:
                        raise CellError(
                            _("purpose %(value)r is neither care nor the id of a study")
                            % {"value": purpose}
                        )
                    if study not in studies:
                        raise CellError(
                            _("%(org)s does not take part in study %(study)s")
                            % {"org": self.org.name, "study": purpose}
                        )
                given = read.date(row["given"])
                withdrawn = None if read.is_blank(row["withdrawn"]) else read.date(row["withdrawn"])
                if withdrawn is not None and withdrawn < given:
                    raise CellError(_("withdrawn lies before given"))
                if (ref, study) in self.consents:
                    raise CellError(
                        _(
                            "this client's consent for %(purpose)s appears twice (first on line %(line)d)"
                        )
                        % {"purpose": purpose, "line": self.consents[(ref, study)][0]}
                    )
                self.consents[(ref, study)] = (line, given, withdrawn)
            except CellError as exc:
                self._reject("consents", line, str(exc))

    # -- writing -------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        return {
            "clients": sum(1 for c in self.clients.values() if c[0]),
            "trajectories": sum(1 for t in self.trajectories.values() if t.values is not None),
            "contacts": len(self.contacts),
            "assessments": len(self.measurements),
            "network snapshots": len(self.networks),
            "consents": len(self.consents),
        }

    def _step(self, label: str, n: int) -> None:
        if self.progress is not None:
            self.progress(label, n, n)

    @transaction.atomic
    def write(self) -> None:
        now = timezone.now()
        org = self.org.pk
        new_clients = [(ref, c) for ref, c in self.clients.items() if c[0] and c[2] is None]
        client_ids = dict(
            zip(
                (ref for ref, _c in new_clients),
                casework_bulk.clients_create_bulk([c[1] for _ref, c in new_clients]),
                strict=True,
            )
        )
        updated_clients = [(c[2], c[1]) for c in self.clients.values() if c[0] and c[2] is not None]
        casework_bulk.clients_update_bulk(updated_clients)
        client_ids.update({ref: c[2] for ref, c in self.clients.items() if c[2] is not None})
        self._step(_("writing clients"), len(client_ids))

        fresh = [(ref, t) for ref, t in self.trajectories.items() if t.values and t.pk is None]
        again = [
            (t.pk, _with_client(t.values, client_ids[t.client_ref]))
            for t in self.trajectories.values()
            if t.values is not None and t.pk is not None
        ]
        made = casework_bulk.trajectories_create_bulk(
            [_with_client(t.values, client_ids[t.client_ref]) for _ref, t in fresh]  # type: ignore[arg-type]
        )
        for (_ref, t), pk in zip(fresh, made, strict=True):
            t.pk = pk
        casework_bulk.trajectories_update_bulk(again)
        insert_rows(
            HistoryKey,
            ["organisation", "kind", "digest", "client", "trajectory", "imported_at"],
            [
                (
                    org,
                    HistoryKey.Kind.CLIENT,
                    history_key(org, HistoryKey.Kind.CLIENT, ref),
                    client_ids[ref],
                    None,
                    now,
                )
                for ref, _c in new_clients
            ]
            + [
                (
                    org,
                    HistoryKey.Kind.TRAJECTORY,
                    history_key(org, HistoryKey.Kind.TRAJECTORY, ref),
                    None,
                    t.pk,
                    now,
                )
                for ref, t in fresh
            ],
        )
        self._step(_("writing trajectories"), len(self.trajectories))

        pk_of = {ref: t.pk for ref, t in self.trajectories.items()}
        if self.update:
            casework_bulk.contacts_delete_on_dates(
                [
                    (tpk, c.date)
                    for ref, _line, c in self.contacts
                    if (tpk := pk_of[ref]) is not None
                ]
            )
        casework_bulk.contacts_create_bulk(
            [_with_trajectory(c, pk_of[ref]) for ref, _line, c in self.contacts]  # type: ignore[arg-type]
        )
        self._step(_("writing contacts"), len(self.contacts))
        measurements_bulk.assessments_write_bulk(
            [
                measurements_bulk.AssessmentValues(
                    trajectory_id=pk_of[m.trajectory_ref],  # type: ignore[arg-type]
                    instrument=m.instrument,
                    informant=m.informant,
                    wave=m.wave,
                    wave_date=m.date,
                    answers=tuple(m.answers),
                )
                for m in self.measurements.values()
            ],
            self.checkers,
            replace=self.update,
        )
        self._step(_("writing measurements"), len(self.measurements))
        casework_bulk.network_snapshots_write_bulk(
            [(pk_of[ref], day, members) for (ref, day), members in self.networks.items()]  # type: ignore[misc]
        )
        recorder: dict[str, int] = {}
        for t in sorted(
            (t for t in self.trajectories.values() if t.values is not None),
            key=lambda t: t.values.start,  # type: ignore[union-attr]
        ):
            recorder.setdefault(t.client_ref, t.professional_id)
        tz = timezone.get_current_timezone()
        consents = []
        for (ref, study), (_line, given, withdrawn) in self.consents.items():
            by = recorder.get(ref) or _earlier_professional(client_ids[ref])
            consents.append(
                programme_services.ConsentValues(
                    client_id=client_ids[ref],
                    study_id=study,
                    given_at=dt.datetime.combine(given, dt.time(0), tz),
                    withdrawn_at=None
                    if withdrawn is None
                    else dt.datetime.combine(withdrawn, dt.time(0), tz),
                    recorded_by_id=by,
                )
            )
        created, updated = programme_services.consents_write_bulk(consents)
        counts = self.counts()
        self.report.created = counts
        self.report.updated = {
            "clients": len(updated_clients),
            "trajectories": len(again),
            "consents": updated,
        }
        self.report.created["clients"] = len(new_clients)
        self.report.created["trajectories"] = len(fresh)
        self.report.created["consents"] = created
        log_access(
            None,
            "create",
            self.org,
            f"history import: {', '.join(f'{v} {k}' for k, v in counts.items())}",
        )


def _with_client(
    t: casework_bulk.TrajectoryValues, client_id: int
) -> casework_bulk.TrajectoryValues:
    return casework_bulk.TrajectoryValues(
        client_id,
        t.lead_professional_id,
        t.team_id,
        t.start,
        t.end,
        t.status,
        t.method_id,
        t.target_group_ids,
    )


def _with_trajectory(c: casework_bulk.ContactValues, pk: int) -> casework_bulk.ContactValues:
    return casework_bulk.ContactValues(
        pk,
        c.recorded_by_id,
        c.date,
        c.duration_minutes,
        c.mode,
        c.principle_ids,
        c.actor_ids,
        c.alliance_heard,
        c.alliance_my_goals,
        c.alliance_trust,
        c.alliance_next,
    )


def _earlier_professional(client_id: int) -> int:
    return (
        Trajectory.objects.filter(client_id=client_id)
        .order_by("start", "pk")
        .values_list("lead_professional_id", flat=True)
        .first()
    ) or 0


def open_tables(directory: Path, report: ImportReport) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for name in FILES:
        found = read.find(directory, name)
        if found is None:
            if name in ("clients", "trajectories"):
                report.reject(
                    name,
                    0,
                    _("%(name)s is missing (%(name)s.csv, .parquet, .xlsx, .sav or .dta)")
                    % {"name": name},
                )
            continue
        if isinstance(found, list):
            report.reject(
                name,
                0,
                _("there are several files for %(name)s (%(files)s); keep one")
                % {"name": name, "files": ", ".join(p.name for p in found)},
            )
            continue
        try:
            table = read.open_table(name, found)
        except FileProblem as exc:
            report.reject(found.name, exc.line, str(exc))
            continue
        missing = [c for c in REQUIRED[name] if c not in table.columns]
        if missing:
            report.reject(
                found.name, 1, _("columns missing: %(columns)s") % {"columns": ", ".join(missing)}
            )
            continue
        tables[name] = table
    return tables


def import_history(
    directory: Path,
    organisation: str,
    *,
    dry_run: bool = False,
    update: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row, then write everything or nothing; see the module docstring."""
    report = ImportReport()
    org = Organisation.objects.filter(name=organisation).first()
    if org is None:
        report.reject("-", 0, _("no organisation named %(name)r") % {"name": organisation})
        raise HistoryImportError(report)
    tables = open_tables(Path(directory), report)
    if report.rejected:
        raise HistoryImportError(report)
    importer = _Importer(org, tables, report, update, progress)
    importer.check()
    if report.rejected:
        raise HistoryImportError(report)
    if dry_run:
        report.created = importer.counts()
        return report
    try:
        importer.write()
    except ValidationError as exc:  # a rule only the services know; nothing was kept
        report.reject("-", 0, "; ".join(exc.messages))
        raise HistoryImportError(report) from exc
    optimize(
        [
            Client,
            Trajectory,
            Contact,
            Assessment,
            Answer,
            NetworkSnapshot,
            NetworkMember,
            Consent,
            HistoryKey,
        ]
    )
    return report
