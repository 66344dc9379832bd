"""werkplaats report study ID: write the study report (HTML, PDF, exports) to a folder."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from werkplaats.insight.report import ReportError, write_report
from werkplaats.programme.selectors import study_by_reference


class Command(BaseCommand):
    help = "Write the report of a study: report.html, report.pdf, exports and codebook."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("study", help="the study's id or slug")
        parser.add_argument("-o", "--output", default="reports", help="folder (default reports/)")
        parser.add_argument("--no-pdf", action="store_true", help="HTML and exports only")
        parser.add_argument("--bootstrap", type=int, default=500, help="bootstrap resamples")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE, help="nl (default) or en")

    def handle(self, *args: Any, **options: Any) -> None:
        study = study_by_reference(options["study"])
        if study is None:
            raise CommandError(f"No study with id or slug {options['study']!r}.")
        began = time.perf_counter()
        try:
            with translation.override(options["language"]):
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
