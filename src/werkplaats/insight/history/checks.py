"""Checking every row of the history files before anything is written.

Over 500 lines for a reason: one class checks the seven files because they share the
lookups (teams, professionals, codes, instrument checkers, earlier imports) and what the
earlier files established (the clients and trajectories the later rows refer to).
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from werkplaats.casework import bulk as casework_bulk
from werkplaats.casework.models import (
    ActorKind,
    Contact,
    Method,
    NetworkMember,
    TargetGroup,
    Trajectory,
    WorkingPrinciple,
)
from werkplaats.insight.history import read
from werkplaats.insight.history.read import CellError, FileProblem, Table
from werkplaats.insight.history.report import ImportReport, Progress, history_key
from werkplaats.insight.models import HistoryKey
from werkplaats.measurements import bulk as measurements_bulk
from werkplaats.measurements.models import (
    Assessment,
    Informant,
    MeasurementPlan,
    MethodSchedule,
    OrganisationSchedule,
)
from werkplaats.measurements.schedule import is_known_wave
from werkplaats.partnership.models import Neighbourhood, Organisation, Role, User
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


@dataclass
class _Trajectory:
    line: int
    client_ref: str
    values: casework_bulk.TrajectoryValues | None  # None: imported before, not in the file
    pk: int | None  # set when imported before
    ended: bool
    schedule: tuple[bool, int, bool, int]
    professional_id: int


@dataclass(slots=True)
class _Measurement:
    line: int
    trajectory_ref: str
    instrument: str
    informant: str
    wave: str
    date: dt.date
    answers: list[tuple[str, Any]] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)


class Importer:
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
        # the organisation's own plan for a method replaces the method's default
        self.schedules.update(
            {
                s.method_id: (s.intake, s.interval_months, s.closure, s.follow_up_months)
                for s in OrganisationSchedule.objects.filter(organisation=org)
            }
        )
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

    def _tuples(self, name: str) -> Any:
        """Like ``_rows``, with the cells as a tuple in the order of ``REQUIRED[name]``."""
        table = self.tables.get(name)
        if table is None:
            return
        pick = operator.itemgetter(*(table.index(c) for c in REQUIRED[name]))
        done = 0
        every = PROGRESS_EVERY
        try:
            for line, cells in table.rows():
                yield line, pick(cells)
                done += 1
                if done % every == 0 and self.progress is not None:
                    self.progress(table.label, done, table.rows_hint)
        except FileProblem as exc:
            self.report.reject(table.label, exc.line, str(exc))
        if self.progress is not None:
            self.progress(table.label, done, done)

    def _contacts(self) -> None:
        modes = frozenset(Contact.Mode.values)
        codes = read.Memo(read.codes)
        day = read.Memo(read.date)
        minutes = read.Memo(read.whole, 1, 600)
        check = read.optional(read.whole, 1, 5)
        text = read.text
        principles, actors = self.principles, self.actors
        for line, cells in self._tuples("contacts"):
            try:
                ref, date, duration, mode, ps, acts, a1, a2, a3, a4 = cells
                ref = text(ref)
                t = self.trajectories.get(ref) or self._trajectory_for("contacts", line, ref)
                if t is None:
                    continue
                mode = text(mode)
                if mode not in modes:
                    raise CellError(
                        _("mode %(value)r is not one of %(allowed)s")
                        % {"value": mode, "allowed": ", ".join(Contact.Mode.values)}
                    )
                ps, acts = codes(ps), codes(acts)
                try:
                    principle_ids = tuple(principles[p] for p in ps)
                    actor_ids = tuple(actors[a] for a in acts)
                except KeyError:
                    bad = [p for p in ps if p not in principles]
                    bad += [a for a in acts if a not in actors]
                    raise CellError(
                        _("unknown principles or actors: %(codes)s") % {"codes": ", ".join(bad)}
                    ) from None
                self.contacts.append(
                    (
                        ref,
                        line,
                        casework_bulk.ContactValues(
                            0,
                            t.professional_id,
                            day(date),
                            minutes(duration),
                            mode,
                            principle_ids,
                            actor_ids,
                            check(a1),
                            check(a2),
                            check(a3),
                            check(a4),
                        ),
                    )
                )
            except CellError as exc:
                self._reject("contacts", line, str(exc))

    def _wave_known(self, t: _Trajectory, wave: str) -> bool:
        intake, interval, closure, follow_up = t.schedule
        return wave in self.declared_waves or is_known_wave(
            wave,
            ended=t.ended,
            intake=intake,
            interval_months=interval,
            closure=closure,
            follow_up_months=follow_up,
        )

    def _measurements(self) -> None:
        informants = frozenset(Informant.values)
        day = read.Memo(read.date)
        text = read.text
        waves: dict[tuple[tuple[bool, int, bool, int], bool, str], bool] = {}
        groups = self.measurements
        checkers = self.checkers
        trajectories = self.trajectories
        for line, cells in self._tuples("measurements"):
            try:
                ref, slug, informant, wave, wave_date, item_id, raw = cells
                if type(ref) is type(slug) is type(informant) is type(wave) is type(item_id) is str:
                    ref, slug, informant = ref.strip(), slug.strip(), informant.strip()
                    wave, item_id = wave.strip(), item_id.strip()
                else:
                    ref, slug, informant = text(ref), text(slug), text(informant)
                    wave, item_id = text(wave), text(item_id)
                t = trajectories.get(ref) or self._trajectory_for("measurements", line, ref)
                if t is None:
                    continue
                checker = checkers.get(slug)
                if checker is None:
                    raise CellError(_("unknown instrument %(slug)r") % {"slug": slug})
                if informant not in informants:
                    raise CellError(
                        _("informant %(value)r is not one of %(allowed)s")
                        % {"value": informant, "allowed": ", ".join(Informant.values)}
                    )
                known = waves.get((t.schedule, t.ended, wave))
                if known is None:
                    known = waves[(t.schedule, t.ended, wave)] = self._wave_known(t, wave)
                if not known:
                    raise CellError(
                        _(
                            "wave %(wave)r is not a wave of this trajectory's measurement plan "
                            "(intake, m03, m06, …, closure, follow_up); declare other waves in "
                            "a waves file"
                        )
                        % {"wave": wave}
                    )
                when = day(wave_date)
                value, error = checker.check(item_id, raw if type(raw) is str else read.answer(raw))
                if error is not None:
                    if error.code == "unknown_item":
                        raise CellError(
                            _("%(slug)s has no item %(item)r") % {"slug": slug, "item": item_id}
                        )
                    raise CellError(
                        _("%(value)r is not an answer to %(item)s; allowed: %(allowed)s")
                        % {
                            "value": text(raw),
                            "item": item_id,
                            "allowed": ", ".join(str(v) for v in error.allowed),
                        }
                    )
                key = (ref, slug, informant, wave)
                m = groups.get(key)
                if m is None:
                    m = groups[key] = _Measurement(line, ref, slug, informant, wave, when)
                elif m.date != when:
                    raise CellError(
                        _(
                            "wave_date %(date)s differs from line %(line)d of the same "
                            "measurement (%(other)s)"
                        )
                        % {"date": when.isoformat(), "line": m.line, "other": m.date.isoformat()}
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
        for (ref, slug, informant, wave), m in groups.items():
            missing, hidden, failing = checkers[slug].whole(dict(m.answers))
            m.lines = {}  # only the checks need the lines; the write does not
            where = {"ref": ref, "slug": slug, "informant": informant, "wave": wave}
            if missing:
                self._reject(
                    "measurements",
                    m.line,
                    _(
                        "%(ref)s %(slug)s %(informant)s %(wave)s: required items unanswered: "
                        "%(items)s"
                    )
                    % {**where, "items": ", ".join(missing)},
                )
            if hidden:
                self._reject(
                    "measurements",
                    m.line,
                    _(
                        "%(ref)s %(slug)s %(informant)s %(wave)s: answers to questions that "
                        "the other answers skip: %(items)s"
                    )
                    % {**where, "items": ", ".join(hidden)},
                )
            if failing:
                self._reject(
                    "measurements",
                    m.line,
                    _(
                        "%(ref)s %(slug)s %(informant)s %(wave)s: answers that break their "
                        "question's rule given the other answers: %(items)s"
                    )
                    % {**where, "items": ", ".join(failing)},
                )

    def _networks(self) -> None:
        relations = frozenset(NetworkMember.Relation.values)
        day = read.Memo(read.date)
        formal_ = read.Memo(read.whole, 0, 1)
        closeness_ = read.Memo(read.whole, 1, 3)
        text = read.text
        for line, cells in self._tuples("networks"):
            try:
                ref, date, label, relation, formal, closeness = cells
                ref, label, relation = text(ref), text(label), text(relation)
                if ref not in self.trajectories and (
                    self._trajectory_for("networks", line, ref) is None
                ):
                    continue
                if relation not in relations:
                    raise CellError(
                        _("relation %(value)r is not one of %(allowed)s")
                        % {"value": relation, "allowed": ", ".join(NetworkMember.Relation.values)}
                    )
                if not label:
                    raise CellError(_("label is empty"))
                if len(label) > casework_bulk.LABEL_MAX:
                    raise CellError(
                        _("label is longer than %(n)d characters") % {"n": casework_bulk.LABEL_MAX}
                    )
                self.networks.setdefault((ref, day(date)), []).append(
                    casework_bulk.MemberValues(
                        label, relation, bool(formal_(formal)), closeness_(closeness)
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
        slugs = dict(Study.objects.values_list("slug", "pk"))
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

    def step(self, label: str, n: int) -> None:
        if self.progress is not None:
            self.progress(label, n, n)
