"""Small helpers to open assessments and links in the test world."""

from __future__ import annotations

import datetime as dt

from werkplaats.casework.models import Trajectory
from werkplaats.instruments.models import Instrument
from werkplaats.measurements import services
from werkplaats.measurements.models import Assessment


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


def make_link(trajectory: Trajectory, days: int = 14) -> str:
    assessment = open_assessment(trajectory, "network_member")
    _link, token = services.link_create(
        assessment=assessment, user=trajectory.lead_professional, days=days
    )
    return token


def expired_token(trajectory: Trajectory) -> str:
    return make_link(trajectory, days=-1)
