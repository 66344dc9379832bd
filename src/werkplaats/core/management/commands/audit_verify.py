"""``werkplaats audit verify``: check the access log's hash chain."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from werkplaats.core.audit import verify
from werkplaats.core.models import AccessLogHead


class Command(BaseCommand):
    help = "Check the access log's hash chain: altered, inserted or deleted entries."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = verify()
        head = AccessLogHead.objects.filter(pk=1).first()
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"The access log fails verification: {len(problems)} problem(s).")
        self.stdout.write(
            f"The access log is intact: {head.seq if head else 0} entries, "
            f"last hash {head.hash if head else '-'}."
        )
