"""Insight on the persona world: thin data, failed reports, exports, feedback, history import."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import translation

from tests.measurements.factories import answered_over_waves
from werkplaats.core.pseudonyms import study_pseudonym
from werkplaats.insight import report as report_module
from werkplaats.insight.dataset import study_data
from werkplaats.insight.exports import write_export
from werkplaats.insight.history import HistoryImportError, import_history
from werkplaats.insight.models import ReportRun
from werkplaats.insight.plan import parse_plan
from werkplaats.insight.services import plan_set
from werkplaats.measurements.models import Assessment
from werkplaats.programme.models import Study

pytestmark = pytest.mark.django_db

ANSWERS = {"m1": 2, "m2": 2, "m3": 3, "m4": 3, "m5": 2, "m6": 3, "m7": 2}


def _measure(w, better: int = 0):
    later = {**ANSWERS, "m4": 4, "m6": 4, "m1": 1 if better else 2}
    answered_over_waves(w.trajectory_a, ANSWERS, later)


PLAN = {
    "format": "werkplaats.plan/1",
    "outcome": {"instrument": "pearlin-mastery", "scale": "mastery", "informant": "client"},
    "moderators": {"client": ["is_frail_elderly"], "process": [], "context": []},
    "random": ["professional"],
    "centring": "grand_mean",
}


def _plan(w, **changes):
    return plan_set(study=w.study_s, plan=parse_plan({**PLAN, **changes}), user=w.rita)


def analysis_frame(study: Study) -> pd.DataFrame:
    from werkplaats.insight.selectors import current_plan

    plan = current_plan(study)
    assert plan is not None, f"{study} has no analysis plan"
    return study_data(study, plan.plan).rows


def test_the_data_set_holds_consenting_clients_under_a_key_per_study(world) -> None:
    _measure(world)
    _plan(world)
    frame = analysis_frame(world.study_s)
    assert set(frame["client"]) == {study_pseudonym(world.study_s.pk, world.client_a.pk)}
    assert world.client_a.pseudonym not in frame.to_csv()
    other = Study.objects.create(
        title="Ander",
        start=dt.date(2024, 1, 1),
        question="?",
        design="quantitative",
        participation="informed",
        phase="analysis",
    )
    assert study_pseudonym(other.pk, world.client_a.pk) != frame["client"].iloc[0]
    assert list(frame["score"]) == [20.0, 22.0]  # reversed items m1, m2, m3, m5, m7


def test_a_study_with_too_few_clients_says_so(world, tmp_path: Path) -> None:
    _measure(world)
    _plan(world)
    folder = report_module.write_report(world.study_s, tmp_path, pdf=False, n_boot=10)
    html = (folder / "report.html").read_text()
    assert "a growth model needs at least 30" in html or "groeimodel" in html
    assert "nan" not in html.lower().replace("financ", "")
    assert ReportRun.objects.filter(study=world.study_s).count() == 1


def test_a_failed_report_leaves_no_half_written_files(world, tmp_path: Path, monkeypatch) -> None:
    _measure(world)
    _plan(world)

    def broken(html: str) -> bytes:
        raise RuntimeError("disk full")

    monkeypatch.setattr(report_module, "render_pdf", broken)
    with pytest.raises(RuntimeError):
        report_module.write_report(world.study_s, tmp_path, pdf=True, n_boot=10)
    assert list(tmp_path.iterdir()) == []
    assert not ReportRun.objects.exists()


def test_the_pdf_is_a_pdf(world, tmp_path: Path) -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(
            f"WeasyPrint cannot load the system Pango library here ({exc}); "
            "install Pango (libpango-1.0-0) to make PDFs."
        )
    _measure(world)
    _plan(world)
    folder = report_module.write_report(world.study_s, tmp_path, pdf=True, n_boot=10)
    assert (folder / "report.pdf").read_bytes()[:5] == b"%PDF-"


def test_spss_and_stata_files_carry_variable_and_value_labels(world, tmp_path: Path) -> None:
    import pyreadstat

    _measure(world)
    _plan(world)
    frame, labels, values = report_module.model_export(world.study_s)
    assert list(frame.columns) == ["score", "time", "client", "professional", "is_frail_elderly"]
    for fmt in ("sav", "dta"):
        path = tmp_path / f"a.{fmt}"
        write_export(frame, fmt, path, labels=labels, values=values)
        reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
        data, meta = reader(str(path))
        read = dict(zip(meta.column_names, meta.column_labels, strict=True))
        score_label = read["score"]
        assert score_label is not None and score_label.startswith("Score")
        assert set(meta.variable_value_labels["is_frail_elderly"]) == {0.0, 1.0}
        assert list(data["score"]) == [20.0, 22.0]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".part")] == []


def test_the_researcher_reads_the_report_and_downloads_the_codebook(world) -> None:
    _measure(world)
    c = Client()
    c.force_login(world.rita)
    page = c.get(f"/insight/studies/{world.study_s.pk}/report/")
    assert page.status_code == 200
    assert c.get(f"/insight/studies/{world.study_s.pk}/export/csv/").status_code == 409  # no plan
    _plan(world)
    codebook = c.get(f"/insight/studies/{world.study_s.pk}/export/codebook/")
    assert b"| `score` |" in codebook.content
    assert b"is_frail_elderly" in codebook.content and b"network_size" not in codebook.content
    assert c.get(f"/insight/studies/{world.study_s.pk}/export/xls/").status_code == 404


def test_a_cmo_configuration_shows_its_fragments(world) -> None:
    _plan(world, moderators={"client": ["informal_size_start"]})
    c = Client()
    c.force_login(world.rita)
    response = c.post(
        f"/insight/studies/{world.study_s.pk}/cmo/new/",
        {
            "context": "Buurt",
            "mechanism": "Buren helpen",
            "outcome": "Meer regie",
            "term": "time:informal_size_start_c",
            "supporting_code": world.code_a.pk,
            "status": "initial",
        },
    )
    assert response.status_code == 302
    page = c.get(f"/insight/studies/{world.study_s.pk}/report/")
    assert "Buren helpen" in page.content.decode()
    assert "1 / 0" in page.content.decode()  # Eva's coded segment supports it


def test_the_client_sees_words_with_every_score(world) -> None:
    _measure(world)
    c = Client()
    c.force_login(world.klaas)
    text = c.get("/insight/me/progress/").content.decode()
    assert "<svg" in text
    assert "28" in text and ("grip" in text)
    # one series, one legend entry: the picture once had a grey swatch without a label
    figure = text[text.index("<svg") : text.index("</svg>")]
    assert 'fill="#bbb"' not in figure


def test_the_professional_sees_overdue_waves_and_alliance(world) -> None:
    _measure(world)
    c = Client()
    c.force_login(world.alice)
    text = c.get(f"/insight/trajectories/{world.trajectory_a.pk}/progress/").content.decode()
    assert world.client_a.pseudonym in text


def test_municipality_figures_hide_small_cells(world) -> None:
    c = Client()
    c.force_login(world.paula)
    text = c.get("/insight/municipality/outcomes/").content.decode()
    assert "×" in text  # one client: hidden


HISTORY_CLIENTS = (
    "client_ref,birth_year,language,neighbourhood\nc1,1950,Nederlands,Centrum\nc2,1980,Turks,\n"
)
HISTORY_TRAJECTORIES = (
    "trajectory_ref,client_ref,professional,team,start,end,status,target_groups,method\n"
    "t1,c1,alice,Team A,2024-01-10,2024-09-01,closed,frail-elderly,\n"
    "t2,c2,alice,Team A,2024-02-01,,open,debt;young-adults,\n"
)
HISTORY_MEASUREMENTS = (
    "trajectory_ref,instrument,informant,wave,wave_date,item_id,value\n"
    + "".join(f"t1,pearlin-mastery,client,intake,2024-01-10,m{i},3\n" for i in range(1, 8))
)


def _history(tmp_path: Path, **files: str) -> Path:
    defaults = {
        "clients": HISTORY_CLIENTS,
        "trajectories": HISTORY_TRAJECTORIES,
        "measurements": HISTORY_MEASUREMENTS,
    }
    for name, text in {**defaults, **files}.items():
        (tmp_path / f"{name}.csv").write_text(text)
    return tmp_path


def test_history_import_writes_everything(world, tmp_path: Path) -> None:
    _history(
        tmp_path,
        contacts=(
            "trajectory_ref,date,duration_minutes,mode,principles,actors,alliance_heard,"
            "alliance_my_goals,alliance_trust,alliance_next\n"
            "t1,2024-01-10,45,home_visit,strengths-based;outreach,client;informal-network,4,4,5,\n"
        ),
        networks="trajectory_ref,date,label,relation,formal,closeness\nt1,2024-01-10,Ans,family,0,1\n",
    )
    report = import_history(tmp_path, "Welzijn A")
    assert report.created == {
        "clients": 2,
        "trajectories": 2,
        "contacts": 1,
        "assessments": 1,
        "network snapshots": 1,
        "consents": 0,
    }
    assert Assessment.objects.filter(trajectory__client__language="Nederlands").count() == 1


def test_history_import_is_all_or_nothing_with_every_rejected_row(world, tmp_path: Path) -> None:
    _history(
        tmp_path,
        measurements=HISTORY_MEASUREMENTS
        + "t2,pearlin-mastery,client,intake,2024-02-01,m1,2\n"
        + "t1,pearlin-mastery,client,m03,2024-04-10,m1,9\n"
        + "t9,pearlin-mastery,client,m03,2024-04-10,m1,2\n",
        trajectories=HISTORY_TRAJECTORIES + "t3,c1,bob,Team A,2024-03-01,,open,,\n",
    )
    before = Assessment.objects.count()
    with translation.override("en"), pytest.raises(HistoryImportError) as caught:
        import_history(tmp_path, "Welzijn A")
    with translation.override("en"):
        text = caught.value.report.text()
    assert "trajectories.csv line 4" in text and "not a professional of Welzijn A" in text
    assert "measurements.csv line 10" in text and "measurements.csv line 11" in text
    assert "measurements.csv line 9: t2 pearlin-mastery client intake: required items" in text
    assert Assessment.objects.count() == before
    from werkplaats.casework.models import Client as CaseClient

    assert not CaseClient.objects.filter(birth_year=1980).exists()


def test_the_commands_report_errors_plainly(world, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No study with id"):
        call_command("report_study", "99999", language="en")
    with pytest.raises(CommandError, match="rejected; nothing was imported"):
        call_command(
            "import_history",
            str(
                _history(
                    tmp_path,
                    clients="client_ref,birth_year,language,neighbourhood\nc1,abc,nl,Nowhere\n",
                )
            ),
            organisation="Welzijn A",
            language="en",
        )
    out = io.StringIO()
    with pytest.raises(CommandError, match="no analysis plan"):
        call_command(
            "report_study",
            str(world.study_s.pk),
            "-o",
            str(tmp_path / "r"),
            "--no-pdf",
            language="en",
        )
    _plan(world)
    call_command(
        "report_study",
        world.study_s.slug,
        "-o",
        str(tmp_path / "r"),
        "--no-pdf",
        "--bootstrap",
        "10",
        stdout=out,
    )
    assert "Report of" in out.getvalue()


def test_parquet_round_trip(world, tmp_path: Path) -> None:
    _measure(world)
    _plan(world)
    frame = analysis_frame(world.study_s)
    write_export(frame, "parquet", tmp_path / "a.parquet")
    back = pd.read_parquet(tmp_path / "a.parquet")
    assert list(back["score"]) == list(frame["score"])
