"""Small helpers to open assessments and links in the test world."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from werkplaats.casework.models import Trajectory
from werkplaats.instruments.models import Instrument
from werkplaats.measurements import services
from werkplaats.measurements.models import Assessment
from werkplaats.measurements.services import AssessmentRecord, assessments_record_bulk


def open_assessment(
    trajectory: Trajectory,
    informant: str = "client",
    instrument: str = "pearlin-mastery",
    wave: str = "intake",
    wave_date: dt.date | None = None,
) -> Assessment:
    return services.assessment_start(
        trajectory=trajectory,
        instrument=Instrument.objects.get(slug=instrument),
        informant=informant,
        wave=wave,
        wave_date=wave_date or trajectory.start,
        user=trajectory.lead_professional,
    )


def answer_all(assessment: Assessment) -> Assessment:
    """Answer every question (with its first option), so that it can be sent in."""
    for item in assessment.version.parsed.items:
        services.answer_save(assessment=assessment, item_id=item.id, value=item.options[0].value)
    return assessment


def make_link(trajectory: Trajectory, days: int = 14, *, answered: bool = False) -> str:
    assessment = open_assessment(trajectory, "network_member")
    if answered:
        answer_all(assessment)
    _link, token = services.link_create(
        assessment=assessment, user=trajectory.lead_professional, days=days
    )
    return token


def expired_token(trajectory: Trajectory) -> str:
    return make_link(trajectory, days=-1)


WAVES = ("intake", "m03", "m06", "m09", "m12")


def answered_over_waves(
    trajectory: Trajectory,
    *answers: Mapping[str, object],
    instrument: str = "pearlin-mastery",
    informant: str = "client",
) -> list[Assessment]:
    """The informant answers at intake and every 91 days after it, one answer set a wave."""
    return assessments_record_bulk(
        [
            AssessmentRecord(
                trajectory=trajectory,
                instrument=instrument,
                informant=informant,
                wave=WAVES[k],
                wave_date=trajectory.start + dt.timedelta(days=91 * k),
                answers=dict(given),
            )
            for k, given in enumerate(answers)
        ]
    )
