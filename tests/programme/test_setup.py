"""``werkplaats setup FILE.yaml``: checked first, all or nothing, idempotent, line-numbered."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import jsonschema
import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from werkplaats.partnership.models import Invitation, Membership, Municipality, Team, User
from werkplaats.programme import setup_file
from werkplaats.programme.models import ConsentText, Study

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "setup.yaml"

pytestmark = pytest.mark.django_db


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "setup.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("setup", str(path), "--language", "en", *args, stdout=out)
    return out.getvalue()


def test_the_example_sets_up_a_workplace_and_a_second_run_changes_nothing() -> None:
    first = _run(EXAMPLE)
    assert "created study wat-werkt-zuiderhaven" in first
    team = Team.objects.get(name="Team Noord")
    assert sorted(team.neighbourhoods.values_list("name", flat=True)) == ["Haven", "Noord"]
    study = Study.objects.get(slug="wat-werkt-zuiderhaven")
    assert study.start == dt.date(2023, 1, 1) and study.end is None
    assert study.title_en == "What works for whom in Zuiderhaven"
    assert list(study.researchers.values_list("username", flat=True)) == ["onderzoeker-a"]
    assert list(study.subthemes.values_list("code", flat=True)) == ["1.2"]
    sw = User.objects.get(username="sw-01")
    assert not sw.has_usable_password()
    assert Membership.objects.get(user=sw).team == team
    counts = (Invitation.objects.count(), Membership.objects.count(), Team.objects.count())
    second = _run(EXAMPLE)
    assert "Nothing to change" in second
    assert (Invitation.objects.count(), Membership.objects.count(), Team.objects.count()) == counts


def test_a_changed_line_changes_that_thing_only(tmp_path: Path) -> None:
    _run(EXAMPLE)
    text = EXAMPLE.read_text(encoding="utf-8")
    changed = text.replace("neighbourhoods: [Noord, Haven]", "neighbourhoods: [Zuid]").replace(
        "role: professional", "role: team_manager"
    )
    out = _run(_write(tmp_path, changed))
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    assert lines == [
        "team Team Noord: neighbourhoods set to Zuid",
        "user sw-01: role 'professional' → 'team_manager'",
    ]
    sw = User.objects.get(username="sw-01")
    assert list(sw.memberships.values_list("role", flat=True)) == ["team_manager"]


def test_errors_name_their_lines_and_nothing_is_written(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    bad = (
        text.replace("kind: practice ", "kind: practise ")
        .replace("start: 2023-01-01", "start: 2023-02-30")
        .replace("sub_themes: ['1.2']", "sub_themes: [1.2]")
    )
    path = _write(tmp_path, bad)
    with pytest.raises(CommandError) as caught:
        _run(path)
    message = str(caught.value)
    numbered = bad.splitlines()
    for needle, wording in [
        ("kind: practise", "'practise'; it must be one of: practice"),
        ("start: 2023-02-30", "is not a date in the calendar"),
        ("sub_themes: [1.2]", "Put it in quotes, e.g. '1.2'"),
    ]:
        line = next(i for i, row in enumerate(numbered, 1) if needle in row)
        assert f"{path}:{line}: " in message and wording in message, message
    assert Municipality.objects.count() == 0


def test_a_reference_to_nothing_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "researchers: [onderzoeker-a]", "researchers: [onderzoeker-b]"
    )
    path = _write(tmp_path, text)
    with pytest.raises(CommandError) as caught:
        _run(path)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "onderzoeker-b" in row)
    assert f":{line}: there is no user onderzoeker-b" in str(caught.value)
    assert not User.objects.exists() and not Municipality.objects.exists()


def test_duplicate_keys_and_broken_yaml_are_named(tmp_path: Path) -> None:
    with pytest.raises(setup_file.SetupError) as caught:
        setup_file.run(_write(tmp_path, "format: werkplaats.setup/1\nformat: again\n"))
    assert caught.value.problems[0][0] == 2
    with pytest.raises(setup_file.SetupError) as caught:
        setup_file.run(_write(tmp_path, "format: werkplaats.setup/1\nusers: [\n  - a\n"))
    assert caught.value.problems[0][0] >= 2


def test_invitations_are_mailed_where_mail_is_set_up_and_printed_otherwise() -> None:
    out = _run(EXAMPLE)  # the test mail backend counts as configured mail
    assert [m.to for m in mail.outbox] == [["sw-01@example.org"]]
    assert "/invitation/" in mail.outbox[0].body
    # Those without an address get their link printed.
    assert "Invitation for onderzoeker-a (give them this link" in out
    assert "Invitation for sw-01 sent by mail." in out


@override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="")
def test_without_mail_every_link_is_printed() -> None:
    out = _run(EXAMPLE)
    assert out.count("/invitation/") == 3 and not mail.outbox


def test_a_dry_run_writes_nothing() -> None:
    out = _run(EXAMPLE, "--dry-run")
    assert "created municipality Gemeente Zuiderhaven" in out and "Dry run" in out
    assert not Municipality.objects.exists() and not Invitation.objects.exists()


def test_a_changed_consent_text_becomes_a_new_version(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8") + "    consent_text: {nl: Ik doe mee.}\n"
    _run(_write(tmp_path, text))
    _run(_write(tmp_path, text))
    assert ConsentText.objects.count() == 1
    _run(_write(tmp_path, text.replace("Ik doe mee.", "Ik doe graag mee.")))
    assert list(ConsentText.objects.order_by("version").values_list("version", "text_nl")) == [
        (1, "Ik doe mee."),
        (2, "Ik doe graag mee."),
    ]


def test_the_schema_is_valid_and_accepts_the_example() -> None:
    schema = json.loads(setup_file.SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    data = setup_file.load(EXAMPLE.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)


def test_report_study_accepts_a_slug(tmp_path: Path) -> None:
    _run(EXAMPLE)
    # The refusal names the reference and the studies there are (in the command's language).
    with pytest.raises(CommandError, match="nope.*wat-werkt-zuiderhaven"):
        call_command("report_study", "nope", "-o", str(tmp_path))
    from werkplaats.programme.selectors import study_by_reference

    study = Study.objects.get(slug="wat-werkt-zuiderhaven")
    assert study_by_reference("wat-werkt-zuiderhaven") == study
    assert study_by_reference(str(study.pk)) == study
