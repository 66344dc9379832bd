"""werkplaats import redcap | fhir: answers from other tools, all or nothing.

redcap  --dictionary D.csv --records R.csv [--events E.csv] --organisation NAME
        [--team NAME] [--start YYYY-MM-DD] [--study ID|SLUG] [--dry-run]
fhir    FILE... --organisation NAME [--team NAME] [--study ID|SLUG] [--dry-run]

Every rejected row is printed with its reason (English, then Dutch); nothing is written
when one is rejected.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from werkplaats.measurements.answers_import import (
    MAX_RECORD_BYTES,
    AnswersImportError,
    AnswersReport,
    fhir_import,
    redcap_import,
)
from werkplaats.partnership.models import Organisation, Team
from werkplaats.programme.models import Study


def _read(path: str) -> bytes:
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"No such file: {file}")
    return file.read_bytes()[: MAX_RECORD_BYTES + 1]


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="source", required=True)
        red = sub.add_parser("redcap", help="a REDCap project's data dictionary and raw records")
        red.add_argument("--dictionary", required=True)
        red.add_argument("--records", required=True)
        red.add_argument("--events")
        fhir = sub.add_parser("fhir", help="FHIR QuestionnaireResponses (single or Bundles)")
        fhir.add_argument("files", nargs="+")
        for p in (red, fhir):
            p.add_argument("--organisation", required=True)
            p.add_argument("--team")
            p.add_argument("--dry-run", action="store_true")
            p.add_argument(
                "--study",
                help="enrol the imported clients in this study (its id or short name): "
                "a standing study consent each, recorded at the import",
            )
        red.add_argument("--start", type=dt.date.fromisoformat, help="date of the first event")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(name=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation named {options['organisation']!r}.")
        team = None
        if options.get("team"):
            team = Team.objects.filter(organisation=organisation, name=options["team"]).first()
            if team is None:
                raise CommandError(f"No team named {options['team']!r} in {organisation}.")
        study = None
        if options.get("study"):
            key = options["study"]
            study = Study.objects.filter(
                **({"pk": int(key)} if key.isdigit() else {"slug": key})
            ).first()
            if study is None:
                raise CommandError(f"No study {key!r} (give its id or short name).")
        try:
            if options["source"] == "redcap":
                report = redcap_import(
                    dictionary=_read(options["dictionary"]),
                    records=_read(options["records"]),
                    events=_read(options["events"]) if options.get("events") else None,
                    organisation=organisation,
                    team=team,
                    start=options.get("start"),
                    dry_run=options["dry_run"],
                    study=study,
                )
            else:
                report = fhir_import(
                    files=[(Path(f).name, _read(f)) for f in options["files"]],
                    organisation=organisation,
                    team=team,
                    dry_run=options["dry_run"],
                    study=study,
                )
        except AnswersImportError as exc:
            raise CommandError(self._text(exc.report, rejected=True)) from None
        self.stdout.write(self._text(report, rejected=False, dry_run=options["dry_run"]))

    def _text(self, report: AnswersReport, *, rejected: bool, dry_run: bool = False) -> str:
        lines = []
        if rejected:
            lines.append(
                f"{len(report.rejected)} rejected; nothing was imported / "
                f"{len(report.rejected)} geweigerd; er is niets ingelezen:"
            )
            for item in report.rejected:
                lines += [f"  - {item.text('en')}", f"    {item.text('nl')}"]
        else:
            made = ", ".join(f"{v} {k}" for k, v in report.created.items()) or "nothing"
            verb = "Would import" if dry_run else "Imported"
            lines.append(f"{verb}: {made}.")
            for record, pseudonym in report.records.items():
                lines.append(f"  record {record} -> client {pseudonym}")
        if report.notes:
            lines.append("Not read, or assumed / Niet gelezen, of aangenomen:")
            for note in report.notes:
                lines += [f"  - {note.text('en')}", f"    {note.text('nl')}"]
        return "\n".join(lines)
