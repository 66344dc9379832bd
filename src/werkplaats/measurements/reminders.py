"""Invitations and reminders for waves that come due, and the professionals' weekly digest.

Hourly, the worker walks the open trajectories (``send_due_invitations``). For every wave
that is open for a client or a network member and not yet answered:

- the first time, the assessment is opened and an invitation goes out: to the client's
  account address (or the e-mail address in their contact details), and to the network
  member's address in the measurement plan, with a fresh one-time link;
- after ``reminder_after_days`` without an answer a reminder follows, at most
  ``reminder_max`` times (a network member gets a fresh link each time: only the hash
  of the last one is stored);
- never in the quiet hours, and never to a person who turned reminders off.

These settings come from the method's default plan (``MethodSchedule``); trajectories
without a method use the model's defaults. Every message is in the plan's
``message_language`` and is written to the message log (without its body).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from werkplaats.casework.models import ClientIdentity, Trajectory
from werkplaats.core.audit import log_access
from werkplaats.measurements import selectors, services
from werkplaats.measurements.models import (
    Assessment,
    Informant,
    Invitation,
    MeasurementPlan,
    MethodSchedule,
    OrganisationSchedule,
)
from werkplaats.measurements.schedule import wave_words
from werkplaats.operations.messages import opt_out_url, send_email
from werkplaats.partnership.models import User

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
BATCH = 500
DEFAULTS = MethodSchedule()  # the field defaults, for trajectories without a method


@dataclass
class Sweep:
    invitations: int = 0
    reminders: int = 0
    quiet: int = 0
    no_address: int = 0


def _client_address(trajectory: Trajectory) -> tuple[str, User | None]:
    client = trajectory.client
    if client.user_id is not None and client.user is not None and client.user.email:
        return client.user.email, client.user
    identity = ClientIdentity.objects.filter(client=client).first()
    if identity is not None and identity.contact:
        found = EMAIL.search(identity.contact)
        if found:
            log_access(None, "view", identity, "invitation address")
            return found.group(0), None
    return "", None


def _address(
    trajectory: Trajectory, informant: str, plan: MeasurementPlan | None
) -> tuple[str, User | None]:
    if informant == Informant.CLIENT:
        return _client_address(trajectory)
    if plan is not None and plan.network_member_email:
        return plan.network_member_email, None
    return "", None


def _send(
    *,
    assessment: Assessment,
    informant: str,
    to: str,
    user: User | None,
    language: str,
    reminder: bool,
) -> None:
    expires = None
    if informant == Informant.NETWORK_MEMBER:
        link, token = services.link_create(
            assessment=assessment, user=assessment.trajectory.lead_professional
        )
        url = settings.WERKPLAATS_BASE_URL + reverse("measurements:link", kwargs={"token": token})
        expires = timezone.localtime(link.expires_at)
    else:
        url = settings.WERKPLAATS_BASE_URL + reverse(
            "measurements:fill", kwargs={"pk": assessment.pk}
        )
    with translation.override(language):
        subject = (
            _("Reminder: a questionnaire is waiting for you")
            if reminder
            else _("A questionnaire is ready for you")
        )
        body = render_to_string(
            "measurements/mail/invitation.txt",
            {
                "informant": informant,
                "title": assessment.version.parsed.client_title(language),
                "when": wave_words(assessment.wave),
                "reminder": reminder,
                "url": url,
                "expires": expires,
                "stop_url": opt_out_url(to),
            },
        )
    send_email(
        kind="reminder" if reminder else "invitation",
        to=to,
        subject=subject,
        body=body,
        recipient=user,
        about=assessment,
        optional=True,
    )


def _candidates(today: dt.date) -> Q:
    return Q(status__in=["open", "paused"]) | Q(end__gte=today - dt.timedelta(days=3 * 365))


def send_due_invitations(now: dt.datetime | None = None) -> Sweep:
    """One pass over the open trajectories; safe to run again at any time."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.date()
    sweep = Sweep()
    ids = list(
        Trajectory.objects.filter(_candidates(today)).order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(ids), BATCH):
        trajectories = list(
            Trajectory.objects.filter(pk__in=ids[start : start + BATCH]).select_related(
                "client__user", "lead_professional", "team"
            )
        )
        preloaded = selectors.Preloaded.load(trajectories)
        assessments: dict[int, list[Assessment]] = defaultdict(list)
        for a in Assessment.objects.filter(trajectory__in=trajectories).select_related(
            "invitation"
        ):
            assessments[a.trajectory_id].append(a)
        for trajectory in trajectories:
            schedule = preloaded.schedule_for(trajectory) or DEFAULTS
            if not schedule.invitations:
                continue
            if schedule.quiet_at(local.hour):
                sweep.quiet += 1
                continue
            view = selectors.plan_view(trajectory, preloaded)
            rows = selectors.wave_rows(
                trajectory, view, today, assessments[trajectory.pk], preloaded
            )
            for row in rows:
                if row.state not in ("due", "overdue") or row.is_gas:
                    continue
                if row.informant not in (Informant.CLIENT, Informant.NETWORK_MEMBER):
                    continue
                _invite_or_remind(row, view.plan, schedule, now, sweep)
    return sweep


def _invite_or_remind(
    row: selectors.WaveRow,
    plan: MeasurementPlan | None,
    schedule: MethodSchedule | OrganisationSchedule,
    now: dt.datetime,
    sweep: Sweep,
) -> None:
    trajectory = row.trajectory
    to, user = _address(trajectory, row.informant, plan)
    if not to:
        sweep.no_address += 1
        return
    language = plan.message_language if plan is not None else "nl"
    with transaction.atomic():
        assessment = row.assessment or services.assessment_start(
            trajectory=trajectory,
            instrument=row.instrument,
            informant=row.informant,
            wave=row.wave.key,
            wave_date=row.wave.due,
            user=None,
        )
        # Locked: two workers (or a retried task) cannot both send the same invitation.
        assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if assessment.complete:
            return
        invitation = Invitation.objects.filter(assessment=assessment).first()
        if invitation is None:
            _send(
                assessment=assessment,
                informant=row.informant,
                to=to,
                user=user,
                language=language,
                reminder=False,
            )
            Invitation.objects.create(assessment=assessment, first_sent_at=now, last_sent_at=now)
            sweep.invitations += 1
            return
        if invitation.reminders_sent >= schedule.reminder_max:
            return
        if now - invitation.last_sent_at < dt.timedelta(days=schedule.reminder_after_days):
            return
        _send(
            assessment=assessment,
            informant=row.informant,
            to=to,
            user=user,
            language=language,
            reminder=True,
        )
        invitation.reminders_sent += 1
        invitation.last_sent_at = now
        invitation.save(update_fields=["reminders_sent", "last_sent_at"])
        sweep.reminders += 1


def send_weekly_digests(today: dt.date | None = None) -> int:
    """Each professional with an e-mail address and something due gets one overview."""
    today = today or timezone.localdate()
    sent = 0
    professionals = (
        User.objects.filter(memberships__role="professional", is_active=True)
        .exclude(email="")
        .distinct()
    )
    for professional in professionals:
        rows = selectors.due_list(professional, today)
        if not rows:
            continue
        due = sum(1 for r in rows if r.state == "due")
        overdue = sum(1 for r in rows if r.state == "overdue")
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Your measurements this week")
            body = render_to_string(
                "measurements/mail/digest.txt",
                {
                    "user": professional,
                    "due": due,
                    "overdue": overdue,
                    "url": settings.WERKPLAATS_BASE_URL + reverse("home"),
                    "stop_url": opt_out_url(professional.email),
                },
            )
        send_email(
            kind="digest",
            to=professional.email,
            subject=subject,
            body=body,
            recipient=professional,
            optional=True,
        )
        sent += 1
    return sent
