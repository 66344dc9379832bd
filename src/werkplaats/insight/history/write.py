"""Writing a checked import in one transaction, through the bulk services of casework,
measurements and programme (COPY on PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from werkplaats.casework import bulk as casework_bulk
from werkplaats.casework.models import (
    Trajectory,
)
from werkplaats.core.audit import log_access
from werkplaats.core.bulk import insert_rows
from werkplaats.insight.history.checks import Importer
from werkplaats.insight.history.report import history_key
from werkplaats.insight.models import HistoryKey
from werkplaats.measurements import bulk as measurements_bulk
from werkplaats.programme import services as programme_services


@transaction.atomic
def write(imp: Importer) -> None:
    """Write what ``imp`` checked, through the bulk services; fill in its report."""
    now = timezone.now()
    org = imp.org.pk
    new_clients = [(ref, c) for ref, c in imp.clients.items() if c[0] and c[2] is None]
    client_ids = dict(
        zip(
            (ref for ref, _c in new_clients),
            casework_bulk.clients_create_bulk([c[1] for _ref, c in new_clients]),
            strict=True,
        )
    )
    updated_clients = [(c[2], c[1]) for c in imp.clients.values() if c[0] and c[2] is not None]
    casework_bulk.clients_update_bulk(updated_clients)
    client_ids.update({ref: c[2] for ref, c in imp.clients.items() if c[2] is not None})
    imp.step(_("writing clients"), len(client_ids))

    fresh = [(ref, t) for ref, t in imp.trajectories.items() if t.values and t.pk is None]
    again = [
        (t.pk, _with_client(t.values, client_ids[t.client_ref]))
        for t in imp.trajectories.values()
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
    imp.step(_("writing trajectories"), len(imp.trajectories))

    pk_of = {ref: t.pk for ref, t in imp.trajectories.items()}
    if imp.update:
        casework_bulk.contacts_delete_on_dates(
            [(tpk, c.date) for ref, _line, c in imp.contacts if (tpk := pk_of[ref]) is not None]
        )
    casework_bulk.contacts_create_bulk(
        [_set_trajectory(c, pk_of[ref]) for ref, _line, c in imp.contacts]
    )
    imp.step(_("writing contacts"), len(imp.contacts))
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
            for m in imp.measurements.values()
        ],
        imp.checkers,
        replace=imp.update,
    )
    imp.step(_("writing measurements"), len(imp.measurements))
    casework_bulk.network_snapshots_write_bulk(
        [(pk_of[ref], day, members) for (ref, day), members in imp.networks.items()]  # type: ignore[misc]
    )
    recorder: dict[str, int] = {}
    for t in sorted(
        (t for t in imp.trajectories.values() if t.values is not None),
        key=lambda t: t.values.start,  # type: ignore[union-attr]
    ):
        recorder.setdefault(t.client_ref, t.professional_id)
    tz = timezone.get_current_timezone()
    consents = []
    for (ref, study), (_line, given, withdrawn) in imp.consents.items():
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
    counts = imp.counts()
    imp.report.created = counts
    imp.report.updated = {
        "clients": len(updated_clients),
        "trajectories": len(again),
        "consents": updated,
    }
    imp.report.created["clients"] = len(new_clients)
    imp.report.created["trajectories"] = len(fresh)
    imp.report.created["consents"] = created
    log_access(
        None,
        "create",
        imp.org,
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


def _set_trajectory(c: casework_bulk.ContactValues, pk: int | None) -> casework_bulk.ContactValues:
    assert pk is not None  # every trajectory was written (or found) above
    c.trajectory_id = pk
    return c


def _earlier_professional(client_id: int) -> int:
    return (
        Trajectory.objects.filter(client_id=client_id)
        .order_by("start", "pk")
        .values_list("lead_professional_id", flat=True)
        .first()
    ) or 0
