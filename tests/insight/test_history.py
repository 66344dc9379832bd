"""The history import on real-looking files: consents, no duplicates, strict cells, formats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from werkplaats.casework.models import Client, Contact, NetworkSnapshot, Trajectory
from werkplaats.demo.history_files import HistoryContext, context_from_database, write_history
from werkplaats.insight.history import HistoryImportError, import_history
from werkplaats.insight.models import HistoryKey
from werkplaats.measurements.models import Answer, Assessment
from werkplaats.programme.models import Consent, StudyParticipation

pytestmark = pytest.mark.django_db

CLIENTS = "client_ref,birth_year,language,neighbourhood\nc1,1950,Nederlands,Centrum\nc2,,Pools,\n"
TRAJECTORIES = (
    "trajectory_ref,client_ref,professional,team,start,end,status,target_groups,method\n"
    "t1,c1,alice,Team A,2024-01-10,2024-09-01,closed,frail-elderly,\n"
    "t2,c2,alice,Team A,2024-02-01,,open,debt,\n"
)
CONTACT_HEAD = (
    "trajectory_ref,date,duration_minutes,mode,principles,actors,alliance_heard,"
    "alliance_my_goals,alliance_trust,alliance_next\n"
)
MEASUREMENT_HEAD = "trajectory_ref,instrument,informant,wave,wave_date,item_id,value\n"


def pearlin(ref: str, wave: str, day: str, value: str = "3") -> str:
    return "".join(f"{ref},pearlin-mastery,client,{wave},{day},m{i},{value}\n" for i in range(1, 8))


def files(directory: Path, **tables: str) -> Path:
    defaults = {"clients": CLIENTS, "trajectories": TRAJECTORIES}
    for name, text in {**defaults, **tables}.items():
        (directory / f"{name}.csv").write_text(text, encoding="utf-8")
    return directory


def _rows_written() -> tuple[int, ...]:
    """How many rows the import writes to, table by table."""
    tables = (Client, Trajectory, Contact, Assessment, Answer, NetworkSnapshot, Consent)
    return tuple(table.objects.count() for table in tables)


def rejected(directory: Path) -> str:
    """The import's refusal report, in English (the import writes nothing)."""
    with translation.override("en"):
        with pytest.raises(HistoryImportError) as caught:
            import_history(directory, "Welzijn A")
        return caught.value.report.text()


@pytest.fixture
def generated(world, tmp_path: Path) -> tuple[Path, dict]:
    StudyParticipation.objects.create(study=world.study_s, organisation=world.org_a)
    context = context_from_database("Welzijn A", today=dt.date(2025, 6, 30))
    summary = write_history(tmp_path / "h", context, clients=40, seed=3)
    return tmp_path / "h", summary


def test_generated_files_import_whole_and_consents_put_clients_in_the_study(
    world, generated
) -> None:
    directory, summary = generated
    before = Client.objects.count()
    with translation.override("en"):
        report = import_history(directory, "Welzijn A")
    rows = summary["rows"]
    assert report.created["clients"] == rows["clients"] == Client.objects.count() - before
    assert report.created["contacts"] == rows["contacts"]
    assert (
        Answer.objects.filter(assessment__trajectory__team=world.team_a).count()
        >= rows["measurements"]
    )  # the persona world had answers already; every imported row is one answer
    imported = Client.objects.filter(trajectories__team=world.team_a).exclude(pk=world.client_a.pk)
    in_study = Consent.objects.filter(client__in=imported, study=world.study_s)
    study_rows = (pd.read_csv(directory / "consents.csv", dtype=str)["purpose"] != "care").sum()
    assert in_study.count() == study_rows > 0
    assert (
        in_study.filter(withdrawn_at__isnull=False).count()
        == (
            pd.read_csv(directory / "consents.csv", dtype=str, keep_default_na=False)["withdrawn"]
            != ""
        ).sum()
    )
    # refs are not stored, only keyed hashes of them
    assert HistoryKey.objects.filter(kind="client").count() == rows["clients"]
    assert not HistoryKey.objects.filter(digest__contains="K0000").exists()


def test_a_consent_names_its_study_by_id_or_slug(world, tmp_path: Path) -> None:
    StudyParticipation.objects.create(study=world.study_s, organisation=world.org_a)
    files(
        tmp_path,
        consents="client_ref,purpose,given,withdrawn\n"
        f"c1,{world.study_s.slug},2024-01-10,\nc2,{world.study_s.pk},2024-02-01,2024-03-01\n"
        "c1,care,2024-01-10,\n",
    )
    report = import_history(tmp_path, "Welzijn A")
    assert report.created["consents"] == 3
    keys = HistoryKey.objects.filter(kind="client").values("client_id")
    study = Consent.objects.filter(client__in=keys, study=world.study_s)
    assert study.count() == 2 and study.filter(withdrawn_at__isnull=True).count() == 1
    assert Consent.objects.filter(client__in=keys, purpose="care").count() == 1


def test_without_a_consents_file_imported_clients_are_in_no_study(world, tmp_path: Path) -> None:
    import_history(files(tmp_path), "Welzijn A")
    assert not Consent.objects.filter(client__pseudonym__in=_new_pseudonyms()).exists()


def _new_pseudonyms() -> list[str]:
    return list(
        Client.objects.filter(pk__in=HistoryKey.objects.values("client_id")).values_list(
            "pseudonym", flat=True
        )
    )


def test_importing_again_refuses_every_row_and_update_updates_in_place(world, generated) -> None:
    directory, summary = generated
    import_history(directory, "Welzijn A")
    counts = _rows_written()
    text = rejected(directory)
    assert "'K000001' was imported before" in text and "--update" in text
    n_rejected = int(text.split()[0])
    assert n_rejected == sum(summary["rows"].values())  # every row of every file, each named
    assert "contacts.csv line 2:" in text

    clients = pd.read_csv(directory / "clients.csv", dtype=str, keep_default_na=False)
    clients.loc[0, "language"] = "Fries"
    clients.to_csv(directory / "clients.csv", index=False)
    with translation.override("en"):
        report = import_history(directory, "Welzijn A", update=True)
    assert report.updated["clients"] == len(clients)
    again = _rows_written()
    assert again == counts  # nothing twice
    key = HistoryKey.objects.filter(kind="client").order_by("client_id").first()
    assert key is not None and Client.objects.filter(language="Fries").count() == 1


def test_no_silent_coercion(world, tmp_path: Path) -> None:
    files(
        tmp_path,
        trajectories=TRAJECTORIES.replace("2024-02-01", "2023-02-03xyz"),
        contacts=CONTACT_HEAD
        + "t1,2024-01-10,59.9,home_visit,,client,,,,\n"
        + "t1,2024-01-11,60.0,office,,client,,,,\n",
        measurements=MEASUREMENT_HEAD
        + pearlin("t1", "intake", "2024-01-10")
        + pearlin("t1", "m04", "2024-05-10")
        + pearlin("t1", "m03", "2024-04-10", value="2.5"),
        networks="trajectory_ref,date,label,relation,formal,closeness\n"
        "t1,2024-01-10,Ans,family,yes,1\n",
    )
    text = rejected(tmp_path)
    assert "trajectories.csv line 3: '2023-02-03xyz' is not a date (YYYY-MM-DD)" in text
    assert "contacts.csv line 2: '59.9' is not a whole number" in text
    assert "contacts.csv line 3" not in text  # 60.0 is a whole number
    assert "measurements.csv line 9: wave 'm04' is not a wave of this trajectory" in text
    assert "measurements.csv line 16: '2.5' is not an answer to m1" in text
    assert "networks.csv line 2: 'yes' is not a whole number" in text


def test_a_declared_wave_is_accepted(world, tmp_path: Path) -> None:
    files(tmp_path, measurements=MEASUREMENT_HEAD + pearlin("t1", "m04", "2024-05-10"))
    assert "wave 'm04'" in rejected(tmp_path)
    (tmp_path / "waves.csv").write_text("wave\nm04\n")
    assert import_history(tmp_path, "Welzijn A").created["assessments"] == 1


def test_a_non_utf8_file_is_refused_with_the_encoding_to_save_as(world, tmp_path: Path) -> None:
    files(tmp_path)
    (tmp_path / "clients.csv").write_bytes(
        "client_ref,birth_year,language,neighbourhood\nc1,1950,Nederlands,Centrum\n"
        "c2,,Français,\n".encode("cp1252")
    )
    text = rejected(tmp_path)
    assert "clients.csv line 3: clients.csv is not UTF-8" in text
    assert "Windows-1252" in text and "'ç'" in text and "CSV UTF-8" in text
    (tmp_path / "clients.csv").write_bytes(CLIENTS.encode("utf-16"))
    assert "UTF-16" in rejected(tmp_path)


def test_messages_in_dutch(world, tmp_path: Path) -> None:
    files(tmp_path, trajectories=TRAJECTORIES.replace("2024-02-01", "2023-02-30"))
    with translation.override("nl"):
        with pytest.raises(HistoryImportError) as caught:
            import_history(tmp_path, "Welzijn A")
        text = caught.value.report.text()
    assert "1 rij afgewezen; er is niets geïmporteerd." in text
    assert "trajectories.csv regel 3: '2023-02-30' is geen datum in de kalender" in text


def test_lines_count_quoted_values_over_several_lines_and_every_file_is_named(
    world, tmp_path: Path
) -> None:
    files(
        tmp_path,
        clients='client_ref,birth_year,language,neighbourhood\nc1,1950,"Neder\nlands",Centrum\n'
        "c2,,Pools,\nc3,1850,Pools,\n",
        consents="client_ref,purpose,given,withdrawn\nc1,care,2024-01-10,\nc1,99999,2024-01-10,\n"
        "c2,care,2024-02-01,2024-01-01\n",
    )
    text = rejected(tmp_path)
    assert "clients.csv line 5: 1850 lies outside 1900" in text
    assert "consents.csv line 3: purpose '99999' is neither care nor the id of a study" in text
    assert "consents.csv line 4: withdrawn lies before given" in text
    assert not Client.objects.filter(language="Pools").exists()


def test_the_other_formats(world, tmp_path: Path) -> None:
    context = HistoryContext(
        organisation="Welzijn A",
        professionals=["alice"],
        teams=["Team A"],
        neighbourhoods=["Centrum"],
        today=dt.date(2025, 6, 30),
    )
    made = {}
    for n, fmt in enumerate(("parquet", "xlsx", "sav", "dta")):
        directory = tmp_path / fmt
        summary = write_history(directory, context, clients=6, seed=10 + n, fmt=fmt)
        # refs repeat across seeds: each directory is a new set of clients of its own
        for path in directory.iterdir():
            frame = _read(path)
            for column in ("client_ref", "trajectory_ref"):
                if column in frame:
                    frame[column] = fmt + frame[column]
            _write(frame, path)
        report = import_history(directory, "Welzijn A")
        made[fmt] = report.created
        assert report.created["clients"] == summary["rows"]["clients"]
        assert report.created["contacts"] == summary["rows"]["contacts"]
    assert set(made) == {"parquet", "xlsx", "sav", "dta"}


def _read(path: Path) -> pd.DataFrame:
    import pyreadstat

    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=str, keep_default_na=False)
    reader = pyreadstat.read_sav if path.suffix == ".sav" else pyreadstat.read_dta
    return reader(str(path))[0]


def _write(frame: pd.DataFrame, path: Path) -> None:
    import pyreadstat

    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    elif path.suffix == ".sav":
        pyreadstat.write_sav(frame, str(path))
    else:
        pyreadstat.write_dta(frame, str(path))


def test_a_spss_file_with_numbers_and_dates_is_read_strictly(world, tmp_path: Path) -> None:
    import pyreadstat

    files(tmp_path)
    (tmp_path / "contacts.csv").unlink(missing_ok=True)
    frame = pd.DataFrame(
        {
            "trajectory_ref": ["t1", "t1"],
            "date": [dt.date(2024, 1, 10), dt.date(2024, 1, 11)],
            "duration_minutes": [45.0, 59.9],
            "mode": ["phone", "phone"],
            "principles": ["", ""],
            "actors": ["", ""],
            "alliance_heard": [4.0, float("nan")],
            "alliance_my_goals": [float("nan")] * 2,
            "alliance_trust": [float("nan")] * 2,
            "alliance_next": [float("nan")] * 2,
        }
    )
    pyreadstat.write_sav(frame, str(tmp_path / "contacts.sav"))
    text = rejected(tmp_path)
    assert "contacts.sav line 3: 59.9 is not a whole number" in text
    assert text.startswith("1 row rejected")


def test_the_command_takes_update_and_language(world, tmp_path: Path) -> None:
    files(tmp_path)
    call_command("import_history", str(tmp_path), organisation="Welzijn A")
    with pytest.raises(CommandError, match="eerder geïmporteerd"):
        call_command("import_history", str(tmp_path), organisation="Welzijn A", language="nl")
    call_command("import_history", str(tmp_path), organisation="Welzijn A", update=True)
    assert Trajectory.objects.filter(team=world.team_a).count() == 3  # the persona's and two


def test_a_large_import_can_run_as_a_task(
    world, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    from werkplaats.insight.tasks import REPORT_FILE, import_history_in_background

    files(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        run = import_history_in_background(tmp_path, "Welzijn A", language="en")
    run.refresh_from_db()
    assert run.status == "done" and run.result["created"]["clients"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        again = import_history_in_background(tmp_path, "Welzijn A", language="en")
    again.refresh_from_db()
    assert again.status == "failed" and "was imported before" in again.error
    assert REPORT_FILE in again.error
    assert "c2" in (tmp_path / REPORT_FILE).read_text()
