"""A REDCap project's records and FHIR QuestionnaireResponses in: all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from werkplaats.measurements.answers_import import AnswersImportError, fhir_import, redcap_import
from werkplaats.measurements.models import Assessment

FILES = Path(__file__).parents[1] / "instruments" / "files"
DICTIONARY = (FILES / "redcap_dictionary.csv").read_bytes()
RECORDS = (FILES / "redcap_records.csv").read_bytes()
EVENTS = (FILES / "redcap_events.csv").read_bytes()


def test_records_become_clients_trajectories_waves_and_assessments(world) -> None:
    import datetime as dt

    report = redcap_import(
        dictionary=DICTIONARY,
        records=RECORDS,
        events=EVENTS,
        organisation=world.org_a
        if hasattr(world, "org_a")
        else world.trajectory_a.team.organisation,
        start=dt.date(2024, 2, 1),
    )
    assert report.created == {"clients": 2, "trajectories": 2, "assessments": 6}
    assert set(report.records) == {"101", "102"}
    made = Assessment.objects.filter(trajectory__client__pseudonym=report.records["101"])
    keys = sorted((a.instrument.slug, a.wave, str(a.wave_date)) for a in made)
    assert keys == [
        ("enrolment", "baseline_arm_1", "2024-02-01"),
        ("phq", "baseline_arm_1", "2024-02-01"),
        ("phq", "baseline_arm_1-r2", "2024-02-01"),
        ("phq", "month_3_arm_1", "2024-05-01"),
    ]
    enrolment = made.get(instrument__slug="enrolment")
    answers = enrolment.answer_map()
    assert answers["symptoms"] == [1] and answers["cough_days"] == 4
    # fever_max applies only with fever or headache: the given 38,5 is not kept
    assert "fever_max" not in answers
    assert answers["state"] == "texas" and answers["comments"] == 'Said "fine"'
    # the adverse event form is not in the dictionary: reported, not crashed on
    notes = " ".join(n.text("en") for n in report.notes)
    assert "adverse_event" in notes and "ae_desc" in notes


def test_one_bad_row_rejects_all_and_names_every_reason(world) -> None:
    bad = RECORDS.replace(b",texas,,1,0,0,0,4,", b",florida,,1,0,0,0,4.5,")
    before = Assessment.objects.count()
    with pytest.raises(AnswersImportError) as exc:
        redcap_import(
            dictionary=DICTIONARY,
            records=bad,
            events=EVENTS,
            organisation=world.trajectory_a.team.organisation,
        )
    texts = [r.text("en") for r in exc.value.report.rejected]
    assert any(
        t.startswith("row 2, enrolment.state: 'florida' is not one of the choices") for t in texts
    )
    assert any(
        t.startswith("row 2, enrolment.cough_days: '4.5' is not a whole number") for t in texts
    )
    assert all(r.text("nl") != r.text("en") for r in exc.value.report.rejected)
    assert Assessment.objects.count() == before


def test_a_cut_off_records_file_is_refused(world) -> None:
    with pytest.raises(AnswersImportError) as exc:
        redcap_import(
            dictionary=DICTIONARY,
            records=RECORDS[:-40],
            organisation=world.trajectory_a.team.organisation,
        )
    assert "cut off" in exc.value.report.rejected[0].text("en")


def test_dry_run_stores_nothing(world) -> None:
    before = Assessment.objects.count()
    report = redcap_import(
        dictionary=DICTIONARY,
        records=RECORDS,
        events=EVENTS,
        organisation=world.trajectory_a.team.organisation,
        dry_run=True,
    )
    assert report.created["assessments"] == 6 and Assessment.objects.count() == before


def test_the_command_prints_the_report(world, capsys) -> None:
    organisation = world.trajectory_a.team.organisation
    with pytest.raises(CommandError) as exc:
        call_command(
            "import_answers",
            "redcap",
            "--dictionary",
            str(FILES / "redcap_dictionary.csv"),
            "--records",
            str(FILES / "redcap_dictionary.csv"),
            "--organisation",
            organisation.name,
        )
    assert "nothing was imported" in str(exc.value) and "er is niets ingelezen" in str(exc.value)


def test_fhir_responses_against_an_imported_questionnaire(world) -> None:
    from werkplaats.instruments import services

    organisation = world.trajectory_a.team.organisation
    services.definitions_import(
        content=(FILES / "fhir_questionnaire.json").read_bytes(),
        filename="q.json",
        organisation=organisation,
    )
    response = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "http://example.org/fhir/Questionnaire/health-check|2.1",
        "status": "completed",
        "subject": {"identifier": {"value": "P-7"}},
        "authored": "2024-06-01T10:00:00Z",
        "item": [
            {
                "linkId": "H1",
                "item": [
                    {"linkId": "H1/T1/Q1", "answer": [{"valueDate": "1970-01-01"}]},
                    {"linkId": "H1/T1/Q2", "answer": [{"valueCoding": {"code": "other"}}]},
                    {"linkId": "H1/T1/Q3", "answer": [{"valueString": "non-binary"}]},
                    {"linkId": "smoker", "answer": [{"valueBoolean": False}]},
                ],
            },
            {
                "linkId": "phq",
                "item": [
                    {"linkId": "phq1", "answer": [{"valueCoding": {"code": "LA6569-3"}}]},
                    {"linkId": "phq2", "answer": [{"valueCoding": {"code": "LA6568-5"}}]},
                ],
            },
        ],
    }
    bundle = {"resourceType": "Bundle", "entry": [{"resource": response}]}
    report = fhir_import(files=[("r.json", json.dumps(bundle).encode())], organisation=organisation)
    assert report.created["assessments"] == 1
    assessment = Assessment.objects.get(trajectory__client__pseudonym=report.records["P-7"])
    assert assessment.answer_map()["H1/T1/Q3"] == "non-binary"
    assert assessment.complete
    wrong = json.loads(json.dumps(response))
    wrong["item"][1]["item"][0]["answer"] = [{"valueCoding": {"code": "nope"}}]
    wrong["item"].append({"linkId": "nonsense", "answer": [{"valueString": "x"}]})
    with pytest.raises(AnswersImportError) as exc:
        fhir_import(files=[("w.json", json.dumps(wrong).encode())], organisation=organisation)
    texts = [r.text("en") for r in exc.value.report.rejected]
    assert any("nonsense" in t for t in texts)


def test_fhir_xml_questionnaire_and_responses(world) -> None:
    """The same questionnaire and response in FHIR's XML form import as from JSON."""
    from tests.instruments.test_fhir_xml import to_xml
    from werkplaats.instruments import services

    organisation = world.trajectory_a.team.organisation
    questionnaire = json.loads((FILES / "fhir_questionnaire.json").read_text())
    services.definitions_import(
        content=to_xml(questionnaire).encode(), filename="q.xml", organisation=organisation
    )
    response = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "http://example.org/fhir/Questionnaire/health-check|2.1",
        "status": "completed",
        "subject": {"identifier": {"value": "P-8"}},
        "authored": "2024-06-01T10:00:00Z",
        "item": [
            {
                "linkId": "H1",
                "item": [
                    {"linkId": "H1/T1/Q1", "answer": [{"valueDate": "1970-01-01"}]},
                    {"linkId": "smoker", "answer": [{"valueBoolean": False}]},
                ],
            },
            {
                "linkId": "phq",
                "item": [
                    {"linkId": "phq1", "answer": [{"valueCoding": {"code": "LA6569-3"}}]},
                    {"linkId": "phq2", "answer": [{"valueCoding": {"code": "LA6568-5"}}]},
                ],
            },
        ],
    }
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": response}]}
    report = fhir_import(files=[("r.xml", to_xml(bundle).encode())], organisation=organisation)
    assessment = Assessment.objects.get(trajectory__client__pseudonym=report.records["P-8"])
    answers = assessment.answer_map()
    assert answers["H1/T1/Q1"] == "1970-01-01"
    assert answers["phq1"] == "LA6569-3"
    assert assessment.complete
    response["subject"] = {"identifier": {"value": "P-9"}}
    as_json = fhir_import(
        files=[("r.json", json.dumps(bundle).encode())], organisation=organisation
    )
    twin = Assessment.objects.get(trajectory__client__pseudonym=as_json.records["P-9"])
    assert twin.answer_map() == answers
    broken = to_xml(bundle).replace("</Bundle>", "").encode()
    with pytest.raises(AnswersImportError) as exc:
        fhir_import(files=[("b.xml", broken)], organisation=organisation)
    assert "not valid XML" in exc.value.report.rejected[0].text("en")


def test_the_import_page_for_researchers_and_organisation_admins(world) -> None:
    import io

    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(world.erin)
    page = client.get(reverse("measurements:answers_import"))
    assert page.status_code == 200
    organisation = page.context["form"].fields["organisation"].queryset.first()
    assert organisation is not None

    def upload(name: str, content: bytes) -> io.BytesIO:
        f = io.BytesIO(content)
        f.name = name
        return f

    bad = RECORDS.replace(b",texas,,1,0,0,0,4,", b",florida,,1,0,0,0,4,")
    response = client.post(
        reverse("measurements:answers_import"),
        {
            "source": "redcap",
            "organisation": organisation.pk,
            "dictionary": upload("d.csv", DICTIONARY),
            "records": upload("r.csv", bad),
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "rij 2, enrolment.state" in text  # the report, in the reader's language
    response = client.post(
        reverse("measurements:answers_import"),
        {
            "source": "redcap",
            "organisation": organisation.pk,
            "dictionary": upload("d.csv", DICTIONARY),
            "records": upload("r.csv", RECORDS),
            "events": upload("e.csv", EVENTS),
        },
    )
    assert response.status_code == 200
    assert len(response.context["report"].records) == 2


def test_study_enrols_the_imported_clients_with_a_standing_consent(world, capsys) -> None:
    from werkplaats.casework.models import Client
    from werkplaats.programme.models import Consent, StudyParticipation

    organisation = world.trajectory_a.team.organisation
    arguments = [
        "import_answers",
        "redcap",
        "--dictionary",
        str(FILES / "redcap_dictionary.csv"),
        "--records",
        str(FILES / "redcap_records.csv"),
        "--events",
        str(FILES / "redcap_events.csv"),
        "--organisation",
        organisation.name,
        "--study",
        world.study_s.slug,
    ]
    # an organisation that does not take part in the study cannot enrol anyone in it
    with pytest.raises(CommandError) as exc:
        call_command(*arguments)
    assert "does not take part in the study" in str(exc.value)
    assert "neemt niet deel aan het onderzoek" in str(exc.value)
    StudyParticipation.objects.create(study=world.study_s, organisation=organisation)
    call_command(*arguments[:-1], str(world.study_s.pk))
    out = capsys.readouterr().out
    assert "2 consents" in out
    pseudonyms = [line.split("-> client ")[1] for line in out.splitlines() if "-> client" in line]
    clients = Client.objects.filter(pseudonym__in=pseudonyms)
    assert clients.count() == 2
    standing = Consent.objects.standing(world.study_s).filter(client__in=clients)
    assert standing.count() == 2
    with pytest.raises(CommandError, match="No study"):
        call_command(*arguments[:-1], "no-such-study")


def _copies(n: int) -> bytes:
    """The test project's records, ``n`` times over under new record ids."""
    header, *lines = RECORDS.decode().splitlines()
    out = [header]
    for k in range(n):
        for line in lines:
            record, rest = line.split(",", 1)
            out.append(f"{int(record) + 1000 * k},{rest}")
    return ("\n".join(out) + "\n").encode()


def _import_queries(world, copies: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        report = redcap_import(
            dictionary=DICTIONARY,
            records=_copies(copies),
            events=EVENTS,
            organisation=world.trajectory_a.team.organisation,
        )
    assert report.created["clients"] == 2 * copies
    assert report.created["assessments"] == 6 * copies
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_records(world) -> None:
    # clients, trajectories, assessments and answers are written in bulk, never one by one
    _import_queries(world, 1)  # the first import also stores the dictionary's instruments
    assert _import_queries(world, 2) == _import_queries(world, 20)


def test_a_failure_while_writing_leaves_nothing_behind(world, monkeypatch) -> None:
    from django.core.exceptions import ValidationError

    from werkplaats.casework import bulk as casework_bulk
    from werkplaats.casework.models import Client, Trajectory

    def broken(values: object) -> list[int]:
        raise ValidationError("the disk is full")

    # the clients are written, then writing the trajectories fails
    monkeypatch.setattr(casework_bulk, "trajectories_create_bulk", broken)
    counts = Client.objects.count(), Trajectory.objects.count(), Assessment.objects.count()
    with pytest.raises(AnswersImportError) as exc:
        redcap_import(
            dictionary=DICTIONARY,
            records=RECORDS,
            events=EVENTS,
            organisation=world.trajectory_a.team.organisation,
        )
    assert "the disk is full" in str(exc.value)
    assert (Client.objects.count(), Trajectory.objects.count(), Assessment.objects.count()) == (
        counts
    )


def test_columns_of_fields_that_take_no_answers_are_named_as_such(world) -> None:
    """A calc or file field's column was reported as 'not a field of the dictionary'."""
    lines = RECORDS.decode().splitlines()
    records = "\n".join([lines[0] + ",bmi,consent_form"] + [r + ",," for r in lines[1:]])
    report = redcap_import(
        dictionary=DICTIONARY,
        records=records.encode(),
        events=EVENTS,
        organisation=world.trajectory_a.team.organisation,
        dry_run=True,
    )
    notes = [n.text("en") for n in report.notes]
    assert (
        "bmi: a field of the dictionary that takes no answers in Werkplaats (calculated); its column is not read"
        in notes
    )
    assert any(n.startswith("consent_form: a field of the dictionary") for n in notes)
    # (ae_desc belongs to a form the dictionary does not have)
    assert not [n for n in notes if "not a field of the dictionary" in n and "ae_desc" not in n]


def test_the_werkplaats_command_takes_options_first(world, capsys) -> None:
    """``werkplaats import redcap --dictionary D --records R ...`` as the docs write it was
    refused by the argument parser before it reached the import."""
    from werkplaats import cli

    code = cli.main(
        [
            "import",
            "redcap",
            "--dictionary",
            str(FILES / "redcap_dictionary.csv"),
            "--records",
            str(FILES / "redcap_records.csv"),
            "--events",
            str(FILES / "redcap_events.csv"),
            "--organisation",
            world.trajectory_a.team.organisation.name,
            "--dry-run",
        ]
    )
    assert code == 0
    assert "Would import: 2 clients" in capsys.readouterr().out


def _fhir_questionnaire(identifier: str, link: str) -> bytes:
    return json.dumps(
        {
            "resourceType": "Questionnaire",
            "id": identifier,
            "status": "active",
            "item": [{"linkId": link, "text": "Hoe gaat het?", "type": "string"}],
        }
    ).encode()


def _fhir_response(questionnaire: str | None, link: str, subject: str) -> tuple[str, bytes]:
    response: dict[str, object] = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "subject": {"identifier": {"value": subject}},
        "item": [{"linkId": link, "answer": [{"valueString": "goed"}]}],
    }
    if questionnaire is not None:
        response["questionnaire"] = questionnaire
    return f"{subject}.json", json.dumps(response).encode()


def test_fhir_responses_find_their_own_questionnaire_and_its_renamed_link_ids(world) -> None:
    """Seen with LHC-Forms' examples: linkIds such as ``/44250-9``, which the
    Questionnaire's import keeps as ``44250-9``, were unknown to the answers import; a
    reference ``Questionnaire/<id>`` matched every imported questionnaire (the latest
    won); a response naming no questionnaire matched any without a URL of its own."""
    from werkplaats.instruments import services

    organisation = world.trajectory_a.team.organisation
    for identifier, link in (("stemming", "/44250-9"), ("later-geimporteerd", "q1")):
        services.definitions_import(
            content=_fhir_questionnaire(identifier, link),
            filename=f"{identifier}.json",
            organisation=organisation,
        )
    report = fhir_import(
        files=[_fhir_response("Questionnaire/stemming", "/44250-9", "P-1")],
        organisation=organisation,
    )
    assessment = Assessment.objects.get(trajectory__client__pseudonym=report.records["P-1"])
    assert assessment.instrument.slug == "stemming"
    assert assessment.answer_map() == {"44250-9": "goed"}
    with pytest.raises(AnswersImportError) as exc:
        fhir_import(files=[_fhir_response(None, "q1", "P-2")], organisation=organisation)
    assert [r.text("en") for r in exc.value.report.rejected] == [
        "P-2.json#1: the questionnaire None has not been imported"
    ]
