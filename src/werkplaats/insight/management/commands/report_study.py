"""werkplaats report study STUDY: write the study report (HTML, PDF, exports) to a folder.

STUDY is the study's id or the slug of its title; the report follows the study's current
analysis plan (werkplaats plan).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from werkplaats.insight.management.commands.plan import find_study
from werkplaats.insight.report import ReportError, write_report


class Command(BaseCommand):
    help = "Write the report of a study: report.html, report.pdf, exports and codebook."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("study", help="the study's id or slug")
        parser.add_argument("-o", "--output", default="reports", help="folder (default reports/)")
        parser.add_argument("--no-pdf", action="store_true", help="HTML and exports only")
        parser.add_argument("--bootstrap", type=int, default=500, help="bootstrap resamples")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE, help="nl (default) or en")

    def handle(self, *args: Any, **options: Any) -> None:
        began = time.perf_counter()
        try:
            with translation.override(options["language"]):
                study = find_study(str(options["study"]))
                folder = write_report(
                    study,
                    Path(options["output"]),
                    pdf=not options["no_pdf"],
                    n_boot=options["bootstrap"],
                )
        except ReportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Report of '{study.title}' in {folder} ({time.perf_counter() - began:.1f} s)."
        )
