"""How the demo reaches its network members: addresses, and a one-time link for the persona.

Every open demo trajectory whose network member answers questionnaires gets its
measurement plan with the network member's e-mail address (``naaste.<trajectory>@`` the
demo's domain; ``netwerklid``'s own address for the persona client), so the worker's
invitations and reminders reach network members in the demo as waves come due
(``var/mail/``), as they reach clients.

Network members never log in with a password (partnership.second_factor refuses them);
they answer through a one-time link to one questionnaire. After a build the demo makes
such a link for the persona ``netwerklid`` (the client's sister): to the open
network-member questionnaire of the persona client's trajectory, or to a new one at the
trajectory's latest wave.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from werkplaats.casework.models import Client, Trajectory
from werkplaats.demo.personas import EMAIL_DOMAIN
from werkplaats.instruments.models import Instrument
from werkplaats.measurements import services
from werkplaats.measurements.models import (
    Assessment,
    Informant,
    MeasurementPlan,
    MethodSchedule,
    PlannedInstrument,
    planned_entries,
)
from werkplaats.measurements.schedule import plan_waves
from werkplaats.partnership.models import User

INSTRUMENT = "pearlin-mastery"


def address_network_members() -> int:
    """Measurement plans with the network member's address; returns how many were made."""
    trajectories = list(
        Trajectory.objects.filter(
            status=Trajectory.Status.OPEN,
            assessments__informant=Informant.NETWORK_MEMBER,
            measurement_plan__isnull=True,
        )
        .distinct()
        .select_related("client__user")
        .only("pk", "method_id", "client__user__username")
    )
    persona = User.objects.filter(username="netwerklid").values_list("email", flat=True).first()
    schedules = {s.method_id: s for s in MethodSchedule.objects.all()}
    instruments = {i.slug: i for i in Instrument.objects.all()}
    fields = ("intake", "interval_months", "closure", "follow_up_months", "grace_days")
    plans = []
    for t in trajectories:
        schedule = schedules.get(t.method_id) if t.method_id is not None else None
        own = t.client.user is not None and t.client.user.username == "client"
        plans.append(
            MeasurementPlan(
                trajectory_id=t.pk,
                network_member_email=persona
                if own and persona
                else f"naaste.{t.pk}@{EMAIL_DOMAIN}",
                **({f: getattr(schedule, f) for f in fields} if schedule is not None else {}),
            )
        )
    with transaction.atomic():
        MeasurementPlan.objects.bulk_create(plans, batch_size=2000)
        made = MeasurementPlan.objects.filter(trajectory__in=trajectories).values_list(
            "pk", "trajectory__method_id"
        )
        PlannedInstrument.objects.bulk_create(
            (
                PlannedInstrument(
                    plan_id=pk, instrument=instruments[e["instrument"]], informant=who
                )
                for pk, method_id in made
                for e in planned_entries(schedules.get(method_id))
                if e["instrument"] in instruments
                for who in e["informants"]
            ),
            batch_size=5000,
        )
    return len(plans)


def network_member_link(base_url: str | None = None) -> str | None:
    """A fresh one-time link for ``netwerklid``; None when the demo has no persona client."""
    client = Client.objects.filter(user__username="client").first()
    trajectory = (
        Trajectory.objects.filter(client=client, status=Trajectory.Status.OPEN)
        .select_related("lead_professional")
        .order_by("-start")
        .first()
        if client is not None
        else None
    )
    instrument = Instrument.objects.filter(slug=INSTRUMENT).first()
    if trajectory is None or instrument is None:
        return None
    with transaction.atomic():
        assessment = (
            Assessment.objects.filter(
                trajectory=trajectory,
                instrument=instrument,
                informant=Informant.NETWORK_MEMBER,
                status=Assessment.Status.OPEN,
            )
            .order_by("-wave_date")
            .first()
        )
        if assessment is None:
            today = timezone.localdate()
            waves = plan_waves(start=trajectory.start, end=trajectory.end, today=today)
            done = set(
                Assessment.objects.filter(
                    trajectory=trajectory, instrument=instrument, informant=Informant.NETWORK_MEMBER
                ).values_list("wave", flat=True)
            )
            open_waves = [w for w in waves if w.key not in done and w.due <= today] or waves[-1:]
            wave = open_waves[-1]
            assessment = services.assessment_start(
                trajectory=trajectory,
                instrument=instrument,
                informant=Informant.NETWORK_MEMBER,
                wave=wave.key,
                wave_date=wave.due,
                user=trajectory.lead_professional,
            )
        try:
            _link, token = services.link_create(
                assessment=assessment, user=trajectory.lead_professional
            )
        except ValidationError:  # every wave is answered already
            return None
    base = (base_url or settings.WERKPLAATS_BASE_URL).rstrip("/")
    return base + reverse("measurements:link", kwargs={"token": token})
