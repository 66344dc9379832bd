"""Importing an organisation's history: all or nothing, every rejected row named.

``werkplaats import history DIR --organisation NAME [--update] [--dry-run]`` reads
``clients`` and ``trajectories`` (required), ``contacts``, ``measurements``, ``networks``,
``consents`` and ``waves`` (each a CSV, Parquet, Excel, SPSS or Stata file; see
``read.py`` and docs/insight.md). Every row of every file is checked first; when any row
is rejected nothing is written and the report names each one (file, line, reason, in the
active language). Otherwise everything is written in one transaction through the bulk
services of casework, measurements and programme, and the planner's statistics are
refreshed.

The organisation's own ``client_ref`` and ``trajectory_ref`` are not stored: a keyed hash
of each (``HistoryKey``) is, so that importing the same rows again is refused — or, with
``--update``, updates what the earlier import wrote instead of adding it twice.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from werkplaats.casework.models import (
    Client,
    Contact,
    NetworkMember,
    NetworkSnapshot,
    Trajectory,
)
from werkplaats.core.bulk import large_write, optimize
from werkplaats.insight.history import read
from werkplaats.insight.history.checks import FILES, REQUIRED, Importer
from werkplaats.insight.history.read import FileProblem, Table
from werkplaats.insight.history.report import (
    HistoryImportError,
    ImportReport,
    Progress,
    history_key,
)
from werkplaats.insight.history.write import write
from werkplaats.insight.models import HistoryKey
from werkplaats.measurements.models import Answer, Assessment
from werkplaats.partnership.models import Organisation
from werkplaats.programme.models import Consent

__all__ = [
    "FILES",
    "REQUIRED",
    "HistoryImportError",
    "ImportReport",
    "Progress",
    "history_key",
    "import_history",
    "open_tables",
]


def open_tables(directory: Path, report: ImportReport) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for name in FILES:
        found = read.find(directory, name)
        if found is None:
            if name in ("clients", "trajectories"):
                report.reject(
                    name,
                    0,
                    _("%(name)s is missing (%(name)s.csv, .parquet, .xlsx, .sav or .dta)")
                    % {"name": name},
                )
            continue
        if isinstance(found, list):
            report.reject(
                name,
                0,
                _("there are several files for %(name)s (%(files)s); keep one")
                % {"name": name, "files": ", ".join(p.name for p in found)},
            )
            continue
        try:
            table = read.open_table(name, found)
        except FileProblem as exc:
            report.reject(found.name, exc.line, str(exc))
            continue
        missing = [c for c in REQUIRED[name] if c not in table.columns]
        if missing:
            report.reject(
                found.name, 1, _("columns missing: %(columns)s") % {"columns": ", ".join(missing)}
            )
            continue
        tables[name] = table
    return tables


def import_history(
    directory: Path,
    organisation: str,
    *,
    dry_run: bool = False,
    update: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row, then write everything or nothing; see the module docstring."""
    report = ImportReport()
    org = Organisation.objects.filter(name=organisation).first()
    if org is None:
        report.reject("-", 0, _("no organisation named %(name)r") % {"name": organisation})
        raise HistoryImportError(report)
    tables = open_tables(Path(directory), report)
    if report.rejected:
        raise HistoryImportError(report)
    importer = Importer(org, tables, report, update, progress)
    importer.check()
    if report.rejected:
        raise HistoryImportError(report)
    if dry_run:
        report.created = importer.counts()
        return report
    try:
        with large_write():
            write(importer)
    except ValidationError as exc:  # a rule only the services know; nothing was kept
        report.reject("-", 0, "; ".join(exc.messages))
        raise HistoryImportError(report) from exc
    optimize(
        [
            Client,
            Trajectory,
            Contact,
            Assessment,
            Answer,
            NetworkSnapshot,
            NetworkMember,
            Consent,
            HistoryKey,
        ]
    )
    return report
