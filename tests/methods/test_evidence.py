"""The method's page shows practice-based evidence from planted data whose numbers we know.

38 clients in the target group 'frail elderly', each measured twice with the Pearlin
Mastery Scale (client): 12 followed the method with every checklist item done (change
+4), 11 followed it with half of the items done (+2), 15 did not follow it (+1).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.casework.factories import ClientFactory, TrajectoryFactory
from tests.methods.factories import described_method
from werkplaats.casework.models import TargetGroup
from werkplaats.instruments.models import InstrumentVersion
from werkplaats.measurements.models import Answer, Assessment
from werkplaats.methods.models import FidelityAnswer, FidelityRecord

pytestmark = pytest.mark.django_db

REVERSED = {"m1", "m2", "m3", "m5", "m7"}


def _answers(total: int) -> dict[str, int]:
    """Pearlin answers (1-4, five items reversed) whose mastery total is ``total``."""
    contribution = {f"m{i}": 2 for i in range(1, 8)}  # 14
    extra = total - 14
    for item in contribution:
        step = max(-1, min(2, extra))
        contribution[item] += step
        extra -= step
    assert extra == 0
    return {k: (5 - c if k in REVERSED else c) for k, c in contribution.items()}


def _measured(world, trajectory, change: int) -> None:
    version = InstrumentVersion.objects.filter(instrument__slug="pearlin-mastery").latest("pk")
    for wave, days, total in (("intake", 0, 14), ("m03", 91, 14 + change)):
        a = Assessment.objects.create(
            trajectory=trajectory,
            instrument=version.instrument,
            version=version,
            informant="client",
            wave=wave,
            wave_date=trajectory.start + dt.timedelta(days=days),
            status=Assessment.Status.COMPLETE,
            completed_at=timezone.now(),
        )
        Answer.objects.bulk_create(
            [Answer(assessment=a, item_id=k, value=v) for k, v in _answers(total).items()]
        )


def _plant(world):
    version = described_method(world.rita, fidelity_items=["Doel besproken", "Netwerk erbij"])
    items = list(version.items.all())
    frail = TargetGroup.objects.get(code="frail-elderly")
    for n, followed, done, change in ((12, True, 2, 4), (11, True, 1, 2), (15, False, 0, 1)):
        for _i in range(n):
            t = TrajectoryFactory(
                client=ClientFactory(),
                lead_professional=world.alice,
                team=world.team_a,
                method=version.method if followed else None,
                method_version=1 if followed else None,
                start=dt.date(2025, 1, 6),
            )
            t.target_groups.add(frail)
            _measured(world, t, change)
            if followed:
                record = FidelityRecord.objects.create(
                    trajectory=t,
                    method_version=version,
                    period_start=dt.date(2025, 2, 1),
                    date=dt.date(2025, 2, 20),
                    recorded_by=world.alice,
                )
                FidelityAnswer.objects.bulk_create(
                    [
                        FidelityAnswer(record=record, item=i, done=k < done)
                        for k, i in enumerate(items)
                    ]
                )
    return version.method


def test_the_method_page_shows_its_practice_based_evidence(world):
    method = _plant(world)
    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(world.otto)
    html = page.get(reverse("methods:detail", args=[method.pk])).content.decode()
    assert "Observational, not an effect." in html
    table = html[html.index('class="evidence-table"') :]
    table = table[: table.index("</table>")]
    # per arm: mean change and rounded count (12 -> 10, 11 -> 10, 15 -> 15, 38 -> 40)
    assert "4.00 <small>(n 10)</small>" in table
    assert "2.00 <small>(n 10)</small>" in table
    assert "1.00 <small>(n 15)</small>" in table
    assert "2.24 <small>(n 40)</small>" in table  # all: 85 / 38
    assert "2.04" in table  # (12*4 + 11*2) / 23 - 1
    assert "high: 3.00, low: 1.00" in table


def test_the_evidence_page_links_to_the_study_that_estimates_it_and_hides_small_groups(world):
    from werkplaats.insight.models import AnalysisPlan

    method = _plant(world)
    AnalysisPlan.objects.create(
        study=world.study_s,
        version=1,
        content={
            "format": "werkplaats.plan/1",
            "outcome": {"instrument": "pearlin-mastery", "scale": "mastery"},
            "moderators": {"process": ["has_method"]},
        },
        content_hash="0" * 64,
    )
    household = TargetGroup.objects.get(code="multi-problem-household")
    for _i in range(3):
        t = TrajectoryFactory(
            client=ClientFactory(), lead_professional=world.alice, team=world.team_a, method=method
        )
        t.target_groups.add(household)
        _measured(world, t, 9)
    page = Client(HTTP_ACCEPT_LANGUAGE="nl")
    page.force_login(world.carol)
    html = page.get(reverse("methods:detail", args=[method.pk])).content.decode()
    assert reverse("insight:study", args=[world.study_s.pk]) in html
    assert "Waarneming, geen effect." in html
    assert "9.00" not in html  # the three household clients' change is nowhere


def test_the_evidence_reads_only_the_measures_informant(world):
    """The method's measure is the client's Pearlin score: the professional's assessments
    of the same instrument are neither read nor scored (the database selects the
    informant), and they change nothing in the table."""
    from werkplaats.insight.models import StoredScore

    method = _plant(world)
    version = InstrumentVersion.objects.filter(instrument__slug="pearlin-mastery").latest("pk")
    theirs = []
    for a in Assessment.objects.filter(informant="client", wave="m03")[:5]:
        b = Assessment.objects.create(
            trajectory=a.trajectory,
            instrument=version.instrument,
            version=version,
            informant="professional",
            wave="m06",
            wave_date=a.wave_date + dt.timedelta(days=91),
            status=Assessment.Status.COMPLETE,
            completed_at=timezone.now(),
        )
        Answer.objects.bulk_create(
            [Answer(assessment=b, item_id=k, value=v) for k, v in _answers(28).items()]
        )
        theirs.append(b.pk)
    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(world.otto)
    html = page.get(reverse("methods:detail", args=[method.pk])).content.decode()
    assert "4.00 <small>(n 10)</small>" in html  # the professionals' 28s are not in it
    assert StoredScore.objects.filter(assessment__informant="client").exists()
    assert not StoredScore.objects.filter(assessment_id__in=theirs).exists()
