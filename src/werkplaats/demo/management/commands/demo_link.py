"""``manage demo_link``: a fresh one-time link for the demo's network member."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from werkplaats.demo.links import network_member_link


class Command(BaseCommand):
    help = "Print a fresh one-time link for the demo's network member (netwerklid)."

    def handle(self, *args: Any, **options: Any) -> None:
        link = network_member_link()
        if link is None:
            raise CommandError(
                "No demo workplace with an open questionnaire for the network member here."
            )
        self.stdout.write(link)
