"""werkplaats plan variables|set|show|lock STUDY: a study's analysis plan.

STUDY is the study's id or its slug.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from werkplaats.insight import selectors, services
from werkplaats.insight.plan import formula_preview
from werkplaats.programme.models import Study
from werkplaats.programme.selectors import study_by_reference


def find_study(ref: str) -> Study:
    """A study by id or slug; a plain error naming the studies when there is none."""
    study = study_by_reference(ref)
    if study is None:
        raise CommandError(
            _("No study with id or slug %(ref)s; the studies: %(list)s")
            % {
                "ref": ref,
                "list": ", ".join(f"{s.pk} {s.slug}" for s in Study.objects.order_by("pk")),
            }
        )
    return study


class Command(BaseCommand):
    help = "A study's analysis plan: variables | set FILE | show | lock (STUDY: id or slug)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["variables", "set", "show", "lock"])
        parser.add_argument("study", help="the study's id or the slug of its title")
        parser.add_argument("file", nargs="?", help="the plan file (YAML or JSON), for set")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE, help="nl (default) or en")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            study = find_study(options["study"])
            getattr(self, f"do_{options['action']}")(study, options)

    def do_variables(self, study: Study, options: dict[str, Any]) -> None:
        ctx = selectors.plan_context(study)
        self.stdout.write(_("Outcomes in the data of %(title)s:") % {"title": study.title})
        self.stdout.write(f"  {'instrument':<28} {'scale':<20} {'informant':<15} {'clients':>8}")
        for o in ctx.outcomes:
            self.stdout.write(
                f"  {o.instrument:<28} {o.scale:<20} {o.informant:<15} {o.clients:>8}"
            )
        self.stdout.write(f"  {'gas_t':<28} {'':<20} {'professional':<15} {ctx.gas_clients:>8}")
        self.stdout.write("")
        self.stdout.write(_("Catalogue of variables:"))
        self.stdout.write(
            f"  {'name':<40} {'level':<8} {'type':<10} {'clients':>8}  description — computed"
        )
        for v in ctx.variables:
            self.stdout.write(
                f"  {v.name:<40} {v.level:<8} {v.kind:<10} {v.clients:>8}  {v.description} — {v.computed}"
            )

    def do_set(self, study: Study, options: dict[str, Any]) -> None:
        if not options.get("file"):
            raise CommandError(_("plan set needs a plan file: werkplaats plan set STUDY FILE"))
        path = Path(options["file"])
        try:
            # utf-8-sig: a plan saved by Windows Notepad starts with a byte order mark
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror}
            ) from exc
        except UnicodeDecodeError as exc:
            raise CommandError(
                _(
                    "%(path)s is not UTF-8 text (byte 0x%(byte)s at position %(position)s); "
                    "save it as UTF-8 and try again"
                )
                % {"path": path, "byte": f"{exc.object[exc.start]:02x}", "position": exc.start}
            ) from None
        try:
            plan = services.parse_plan_text(text)
            row = services.plan_set(study=study, plan=plan, user=None)
        except services.PlanRefused as exc:
            raise CommandError(
                _("The plan was not stored:") + "\n" + "\n".join(f"  {p}" for p in exc.problems)
            ) from exc
        _errors, warnings = services.plan_errors(study, plan)
        for w in warnings:
            self.stdout.write(_("warning: %(w)s") % {"w": w})
        kinds = selectors.plan_context_kinds()
        self.stdout.write(
            _("Stored plan version %(v)s of %(title)s (hash %(hash)s).")
            % {"v": row.version, "title": study.title, "hash": row.content_hash[:12]}
        )
        self.stdout.write(_("Formula: %(f)s") % {"f": formula_preview(plan, kinds)})

    def do_show(self, study: Study, options: dict[str, Any]) -> None:
        row = selectors.current_plan(study)
        if row is None:
            raise CommandError(
                _("The study %(title)s has no analysis plan yet.") % {"title": study.title}
            )
        state = (
            _("locked (pre-registered) on %(at)s")
            % {"at": f"{row.locked_at:%Y-%m-%d %H:%M:%S} UTC"}
            if row.locked_at
            else _("not locked")
        )
        self.stdout.write(f"# {study.title}: plan version {row.version}, {state}")
        self.stdout.write(f"# sha256 {row.content_hash}")
        self.stdout.write(f"# {formula_preview(row.plan, selectors.plan_context_kinds())}")
        self.stdout.write(row.plan.to_yaml())

    def do_lock(self, study: Study, options: dict[str, Any]) -> None:
        try:
            row = services.plan_lock(study=study, user=None)
        except services.PlanRefused as exc:
            raise CommandError("\n".join(exc.problems)) from exc
        self.stdout.write(
            _("Plan version %(v)s of %(title)s is pre-registered: sha256 %(hash)s, locked %(at)s.")
            % {
                "v": row.version,
                "title": study.title,
                "hash": row.content_hash,
                "at": f"{row.locked_at:%Y-%m-%d %H:%M:%S} UTC",
            }
        )
