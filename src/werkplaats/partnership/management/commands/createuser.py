"""Create a user with a role; the password is asked for and checked by the validators."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from werkplaats.partnership import services
from werkplaats.partnership.models import Organisation, Role, Team


class Command(BaseCommand):
    help = "Create a user with a role in an organisation (and team)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--organisation", required=True)
        parser.add_argument("--team")
        parser.add_argument("--password", help="for scripts; otherwise you are asked")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = Organisation.objects.get(name=options["organisation"])
        except Organisation.DoesNotExist:
            raise CommandError(f"No organisation named {options['organisation']!r}.") from None
        team = None
        if options.get("team"):
            try:
                team = Team.objects.get(organisation=organisation, name=options["team"])
            except Team.DoesNotExist:
                raise CommandError(f"No team {options['team']!r} in {organisation}.") from None
        password = options.get("password") or getpass.getpass("Password: ")
        try:
            validate_password(password)
            user = services.user_create(
                username=options["username"],
                password=password,
                organisation=organisation,
                role=options["role"],
                team=team,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"Created {user.username} as {options['role']} in {organisation}.")
