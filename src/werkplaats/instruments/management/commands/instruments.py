"""werkplaats instruments import FILE | export ID | load-library | list

import    read a definition file (format recognised or named with --format), check it
          whole, store it as an immutable version, and print what was lost or assumed
export    write the newest (or --version) version of an instrument in a format, and
          print what the format cannot hold
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from werkplaats.instruments import formats, services
from werkplaats.instruments.models import InstrumentVersion
from werkplaats.partnership.models import Organisation
from werkplaats.stats.definition import DefinitionError


def _dutch(heading: str) -> str:
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override("nl"):
        return gettext(heading)


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import definitions from a file")
        imp.add_argument("file")
        imp.add_argument("--format", choices=formats.FORMATS)
        imp.add_argument(
            "--language", default="nl", help="language of the texts when the file does not say"
        )
        imp.add_argument("--organisation", help="import under this organisation's own licence")
        imp.add_argument("--dry-run", action="store_true", help="check and report, store nothing")
        exp = sub.add_parser("export", help="export a definition")
        exp.add_argument("instrument", help="the instrument id, e.g. pearlin-mastery")
        exp.add_argument("--format", choices=formats.FORMATS)
        exp.add_argument("--version", dest="label", help="the version label (default: newest)")
        exp.add_argument("--language", default="nl", help="the language written first")
        exp.add_argument(
            "-o",
            "--output",
            help="file to write (default: standard output); the format follows its extension when --format is not given",
        )
        sub.add_parser("load-library", help="store the shipped library definitions")
        sub.add_parser("list", help="list the stored versions")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "import":
            self._import(options)
        elif action == "export":
            self._export(options)
        elif action == "load-library":
            self.stdout.write(f"{services.library_load()} new definition(s) stored.")
        else:
            for v in InstrumentVersion.objects.select_related("instrument", "organisation"):
                owner = f"  [{v.organisation}]" if v.organisation else ""
                self.stdout.write(
                    f"{v.instrument.slug:24} {v.label:22} {v.content_hash[:12]}  {v.licence_code}{owner}"
                )

    def _import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        organisation = None
        if options.get("organisation"):
            organisation = Organisation.objects.filter(name=options["organisation"]).first()
            if organisation is None:
                raise CommandError(f"No organisation named {options['organisation']!r}.")
        try:
            outcome = services.definitions_import(
                content=path.read_bytes()[: formats.MAX_BYTES + 1],
                filename=path.name,
                fmt=options.get("format"),
                organisation=organisation,
                language=options["language"],
                dry_run=options["dry_run"],
            )
        except formats.FormatError as exc:
            lines = "\n".join(f"  {en}\n  {nl}" for en, nl in zip(exc.lines("en"), exc.lines("nl")))
            raise CommandError(
                f"Nothing was imported from {path.name} / Niets ingelezen uit {path.name}:\n{lines}"
            ) from None
        except DefinitionError as exc:
            lines = "\n".join(f"  {p}" for p in exc.problems)
            raise CommandError(f"Nothing was imported from {path.name}:\n{lines}") from None
        verb = "would store" if options["dry_run"] else "stored"
        for version, created in zip(outcome.versions, outcome.created, strict=True):
            state = verb if created else "identical to a stored version"
            self.stdout.write(
                f"{version.instrument.slug} {version.label} ({version.content_hash[:12]}): {state}"
            )
        self._report(outcome.losses, "Not kept, or assumed")

    def _export(self, options: dict[str, Any]) -> None:
        versions = InstrumentVersion.objects.filter(instrument__slug=options["instrument"])
        if options.get("label"):
            versions = versions.filter(label=options["label"])
        version = versions.order_by("-created", "-pk").first()
        if version is None:
            raise CommandError(f"No stored version of {options['instrument']!r}.")
        fmt = options.get("format")
        output = options.get("output") or ""
        if fmt is None and output.lower().endswith(".csv"):
            raise CommandError("A .csv file can be redcap or xlsform-csv: name it with --format.")
        if fmt is None and output:
            try:
                fmt = formats.detect(output, b"")
            except formats.FormatError:
                fmt = None
        fmt = fmt or "yaml"
        try:
            result = formats.write(version.parsed, fmt, options["language"])
        except formats.FormatError as exc:
            raise CommandError(str(exc)) from None
        if options.get("output"):
            Path(options["output"]).write_bytes(result.content)
            self.stdout.write(f"Wrote {options['output']} ({fmt}, version {version.label}).")
            self._report(result.losses, "What the format cannot hold")
        else:
            sys.stdout.buffer.write(result.content)
            sys.stdout.flush()
            self._report(result.losses, "What the format cannot hold", stream=self.stderr)

    def _report(self, losses: list[formats.Loss], heading: str, stream: Any = None) -> None:
        stream = stream or self.stdout
        if losses:
            stream.write(f"{heading} / {_dutch(heading)}:")
            for loss in losses:
                stream.write(f"  - {loss.text('en')}")
                stream.write(f"    {loss.text('nl')}")
