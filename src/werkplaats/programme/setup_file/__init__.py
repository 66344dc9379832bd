"""``werkplaats setup FILE.yaml``: a workplace declared in one file (docs/setup.md).

The file says what must exist: municipalities and neighbourhoods, organisations and
teams, people and their roles, studies. Applying it makes the database match, in one
transaction, after every check has passed; running it twice changes nothing, changing a
line changes that one thing. Nothing that the file does not name is deleted (a person
who leaves is deactivated with ``active: false``, never removed).

Every problem is reported with the line of the file it is on, all at once, before
anything is written.

The module is a package along its seams: ``reading`` (YAML with lines), ``schema`` (the
JSON Schema and its messages), ``references`` (what the file refers to must exist),
``studies`` (a study's checks and writes, shared with the study form in the browser),
``apply`` (making the database match) and ``changes`` (saying what changed).
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from werkplaats.partnership import invitations
from werkplaats.partnership.models import STAFF_ROLES, User
from werkplaats.programme.setup_file.apply import Result, apply
from werkplaats.programme.setup_file.reading import FORMAT, LineDict, LineList, SetupError, load
from werkplaats.programme.setup_file.references import _Context, check_references
from werkplaats.programme.setup_file.schema import SCHEMA_PATH, check_schema, schema

__all__ = [
    "FORMAT",
    "SCHEMA_PATH",
    "STAFF_ROLES",
    "LineDict",
    "LineList",
    "Result",
    "SetupError",
    "check_schema",
    "load",
    "run",
    "schema",
]

# Accounts setup can make: staff of the partnership (partnership.models.STAFF_ROLES).


def run(path: Path, *, dry_run: bool = False, language: str = "nl") -> Result:
    """Check the file, then apply it in one transaction (or, with ``dry_run``, roll back).

    New people are invited once everything is written: an invitation never goes out
    for an account that a failed run did not make.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise SetupError(
            [(line, _("the file is not UTF-8 text; save it as UTF-8 and try again."))]
        ) from None
    data = load(text)
    check_schema(data)
    ctx = _Context(data)
    check_references(ctx)
    if ctx.problems:
        raise SetupError(ctx.problems)
    result = Result()
    with transaction.atomic():
        apply(data, result)
        if dry_run:
            transaction.set_rollback(True)
    if not dry_run:
        for user in User.objects.filter(pk__in=result.to_invite).order_by("username"):
            result.invitations.append((user.username, invitations.invite(user, language=language)))
    return result
