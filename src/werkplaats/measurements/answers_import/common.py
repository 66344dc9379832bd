"""What both imports share: the report, refusals, pseudonyms, checking and writing."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from werkplaats.casework import bulk as casework_bulk
from werkplaats.casework.models import Client, Trajectory
from werkplaats.instruments.formats import N_, Loss, loss
from werkplaats.instruments.models import InstrumentVersion
from werkplaats.measurements.models import Informant
from werkplaats.measurements.services import AssessmentRecord, assessments_record_bulk
from werkplaats.partnership.models import Organisation, Role, Team, User
from werkplaats.programme.models import Study
from werkplaats.programme.services import ConsentValues, consents_write_bulk
from werkplaats.stats.definition import AnswerError, Definition, check_answer
from werkplaats.stats.scoring import completeness

MAX_RECORD_BYTES = 50 * 1024 * 1024
MAX_RECORD_ROWS = 200_000
REDCAP_OWN = {
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
}


@dataclass
class AnswersReport:
    rejected: list[Loss] = field(default_factory=list)
    notes: list[Loss] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    records: dict[str, str] = field(default_factory=dict)  # source record -> pseudonym

    def lines(self, language: str = "en") -> list[str]:
        return [r.text(language) for r in self.rejected] + [n.text(language) for n in self.notes]


class AnswersImportError(ValueError):
    """Rows were rejected (or a file is damaged); nothing was written."""

    def __init__(self, report: AnswersReport) -> None:
        self.report = report
        super().__init__("; ".join(r.text("en") for r in report.rejected[:20]))


def _refuse(
    report: AnswersReport, where: str, what: str, row: int | None = None, **params: Any
) -> None:
    report.rejected.append(loss(where, what, row, **params))


def _reason(exc: AnswerError) -> str:
    return {
        "not_an_option": N_("%(value)s is not one of the choices (%(allowed)s)"),
        "not_a_number": N_("%(value)s is not a number"),
        "not_whole": N_("%(value)s is not a whole number"),
        "too_low": N_("%(value)s is below the lowest allowed (%(allowed)s)"),
        "too_high": N_("%(value)s is above the highest allowed (%(allowed)s)"),
        "not_a_date": N_("%(value)s is not a date (YYYY-MM-DD)"),
        "not_a_time": N_("%(value)s is not a time (HH:MM)"),
        "not_an_email": N_("%(value)s is not an e-mail address"),
        "not_a_phone": N_("%(value)s is not a phone number"),
        "constraint": N_("%(value)s breaks the question's constraint"),
        "too_long": N_("the answer is too long"),
        "not_answerable": N_("this item takes no answer"),
    }.get(exc.code, N_("%(value)s is not accepted"))


def _team_and_lead(organisation: Organisation, team: Team | None) -> tuple[Team, User]:
    team = team or organisation.teams.order_by("pk").first()
    if team is None:
        raise ValidationError(f"{organisation} has no team to hold the trajectories")
    lead = (
        User.objects.filter(memberships__team=team, memberships__role=Role.PROFESSIONAL)
        .order_by("pk")
        .first()
    )
    if lead is None:
        raise ValidationError(f"the team {team} has no professional to lead the trajectories")
    return team, lead


def _wave(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")[:20]
    return slug or "w1"


@dataclass
class _Pending:
    record: str
    version: InstrumentVersion
    wave: str
    wave_date: dt.date
    answers: dict[str, Any]
    complete: bool


def _write(
    pending: list[_Pending],
    organisation: Organisation,
    team: Team | None,
    user: User | None,
    report: AnswersReport,
    study: Study | None = None,
) -> None:
    team, lead = _team_and_lead(organisation, team)
    first: dict[str, dt.date] = {}  # record -> its first wave date, in the order met
    for p in pending:
        if p.record not in first or p.wave_date < first[p.record]:
            first[p.record] = p.wave_date
    # Clients and trajectories through casework's bulk services (the rules of the
    # one-by-one services, a few statements for any number of records).
    client_ids = casework_bulk.clients_create_bulk(
        [casework_bulk.ClientValues(None, "", None)] * len(first)
    )
    trajectory_ids = casework_bulk.trajectories_create_bulk(
        [
            casework_bulk.TrajectoryValues(
                client_id, lead.pk, team.pk, day, None, Trajectory.Status.OPEN, None
            )
            for client_id, day in zip(client_ids, first.values(), strict=True)
        ]
    )
    pseudonyms = dict(
        Client.objects.filter(pk__gte=min(client_ids, default=0))
        .filter(pk__lte=max(client_ids, default=0))
        .values_list("pk", "pseudonym")
    )
    trajectories: dict[str, Trajectory] = {}
    for (record, day), client_id, pk in zip(first.items(), client_ids, trajectory_ids, strict=True):
        trajectories[record] = Trajectory(
            pk=pk, client_id=client_id, lead_professional=lead, team=team, start=day
        )
        report.records[record] = pseudonyms[client_id]
    made = assessments_record_bulk(
        [
            AssessmentRecord(
                trajectory=trajectories[p.record],
                instrument=p.version.instrument,
                informant=Informant.CLIENT,
                wave=p.wave,
                wave_date=p.wave_date,
                answers=p.answers,
                complete=p.complete,
            )
            for p in pending
        ],
        user=user,
        versions={p.version.instrument_id: p.version for p in pending},
    )
    report.created = {
        "clients": len(client_ids),
        "trajectories": len(trajectories),
        "assessments": len(made),
    }
    if study is not None:
        # enrolled as the consents model requires: a standing study consent per client,
        # given at the import and recorded by the importer (on the command line: the
        # team's lead professional), who states the source project holds that consent
        now = timezone.now()
        recorder = (user or lead).pk
        consents_write_bulk([ConsentValues(c, study.pk, now, None, recorder) for c in client_ids])
        report.created["consents"] = len(client_ids)


def _commit(
    pending: list[_Pending],
    organisation: Organisation,
    team: Team | None,
    user: User | None,
    report: AnswersReport,
    dry_run: bool,
    study: Study | None = None,
) -> None:
    """Inside the import's transaction: refuse everything when a row was rejected, else
    write (and roll back again for a dry run)."""
    if report.rejected:
        transaction.set_rollback(True)
        raise AnswersImportError(report)
    if pending:
        try:
            _write(pending, organisation, team, user, report, study)
        except ValidationError as exc:
            transaction.set_rollback(True)
            report.rejected.append(loss("", N_("%(problem)s"), problem="; ".join(exc.messages)))
            raise AnswersImportError(report) from None
    if dry_run:
        transaction.set_rollback(True)


def check_study(study: Study | None, organisation: Organisation) -> None:
    """Refuse a study the organisation does not take part in (nothing is read then)."""
    if study is not None and not study.participations.filter(organisation=organisation).exists():
        raise AnswersImportError(
            AnswersReport(
                rejected=[
                    loss(
                        "--study",
                        N_("%(organisation)s does not take part in the study %(study)s"),
                        organisation=str(organisation),
                        study=study.slug,
                    )
                ]
            )
        )


def _check(
    definition: Definition,
    answers: dict[str, Any],
    complete: bool,
    report: AnswersReport,
    where: str,
    row: int | None,
    columns: dict[str, str],
) -> dict[str, Any] | None:
    checked: dict[str, Any] = {}
    ok = True
    for item_id, value in answers.items():
        try:
            checked[item_id] = check_answer(definition, item_id, value, answers)
        except AnswerError as exc:
            ok = False
            allowed = ", ".join(str(a) for a in exc.allowed[:12])
            _refuse(
                report,
                f"{where}.{columns.get(item_id, item_id)}",
                _reason(exc),
                row,
                value=repr(value),
                allowed=allowed,
            )
    if not ok:
        return None
    shown = definition.relevant_ids(checked)
    checked = {k: v for k, v in checked.items() if k in shown}
    if complete:
        missing = completeness(definition, checked).missing_required
        if missing:
            _refuse(
                report,
                where,
                N_("marked complete, but required questions that apply are unanswered: %(items)s"),
                row,
                items=", ".join(missing),
            )
            return None
    return checked
