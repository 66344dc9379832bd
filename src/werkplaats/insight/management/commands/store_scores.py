"""werkplaats manage store_scores: score every completed assessment not yet scored.

Feedback pages and reports read stored scale scores and score what is missing on first
read; after a large import (history, answers, the demo) this command does that work at
once, so the first page a user opens is as quick as the next.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from werkplaats.insight.outcomes import store_scores
from werkplaats.instruments.models import InstrumentVersion
from werkplaats.measurements.models import Assessment


class Command(BaseCommand):
    help = "Score and store every completed assessment that has no stored scale score yet."

    def handle(self, *args: Any, **options: Any) -> None:
        began = time.perf_counter()
        total = 0
        for version in InstrumentVersion.objects.select_related("instrument").order_by("pk"):
            assessments = Assessment.objects.filter(version=version)
            for scale in version.parsed.scales:
                total += store_scores(assessments, scale.id)
        self.stdout.write(
            f"Scored {total} assessments in {time.perf_counter() - began:.1f} s; "
            "the others had current stored scores."
        )
