"""``manage build_demo``: build the synthetic demo workplace into an empty database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from werkplaats.demo.generator import DatabaseNotEmpty, build_demo, print_personas
from werkplaats.demo.links import network_member_link


class Command(BaseCommand):
    help = (
        "Build the synthetic demo workplace (with planted, documented effects; see "
        "docs/demo-workplace.md) into an empty, migrated database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--clients",
            type=int,
            default=1500,
            help="number of clients (default 1500; at least 20)",
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete the demo's rows first if the database is not empty",
        )
        parser.add_argument(
            "--no-identities",
            action="store_true",
            help="skip the encrypted identifying details (for benchmarks)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = build_demo(
                clients=options["clients"],
                seed=options["seed"],
                replace=options["replace"],
                stdout=self.stdout,
                identities=not options["no_identities"],
            )
        except (DatabaseNotEmpty, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        width = max(len(k) for k in counts)
        for key, value in counts.items():
            self.stdout.write(f"  {key.ljust(width)}  {value}")
        self.stdout.write(
            "\nLog in as (every persona but the network member has the same password):"
        )
        print_personas(self.stdout)
        link = network_member_link()
        if link:
            self.stdout.write(
                "\nThe network member (netwerklid) answers through a one-time link, valid "
                f"once:\n  {link}\n"
                "A new link: werkplaats manage demo_link"
            )
