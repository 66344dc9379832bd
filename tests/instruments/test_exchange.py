"""Real questionnaires in and out: the files in files/ were made for these tests to hold
every construct of their format (REDCap data dictionary, XLSForm, FHIR R4 Questionnaire).

Each test checks that a construct is either kept (and round-trips) or named in the loss
report by row and field, in English and Dutch.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from werkplaats.instruments import formats
from werkplaats.stats.definition import parse_definition
from werkplaats.stats.scoring import completeness, score

FILES = Path(__file__).with_name("files")


def read(name: str, fmt: str | None = None, language: str = "en") -> formats.ImportResult:
    return formats.read((FILES / name).read_bytes(), fmt, name, language)


def items_of(data: dict) -> dict[str, dict]:
    return {i["id"]: i for i in data["items"]}


def losses_about(result, field: str) -> list[formats.Loss]:
    return [loss for loss in result.losses if loss.path == field]


# REDCap ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redcap():
    return read("redcap_dictionary.csv")


def test_redcap_every_form_and_field_is_imported_with_its_type(redcap) -> None:
    enrolment, phq = (parse_definition(d) for d in redcap.definitions)
    types = {i.id: i.type for i in enrolment.items}
    assert types == {
        "enrol_date": "date",
        "dob": "date",
        "sex": "choice",
        "state": "choice",
        "state_other": "text",
        "symptoms": "multiple",
        "cough_days": "integer",
        "fever_max": "decimal",
        "email": "text",
        "phone": "text",
        "weight": "decimal",
        "height": "decimal",
        "bmi": "calculated",
        "visit_time": "time",
        "pain": "slider",
        "consent": "yesno",
        "consent_form": "file",
        "truth": "yesno",
        "other_visit": "yesno",
        "comments": "long_text",
        "thanks": "display",
    }
    # a form without a scale is a valid questionnaire; the PHQ form keeps its sum
    assert enrolment.scales == ()
    assert phq.scale("phq").items == ("phq_1", "phq_2", "phq_3")
    assert enrolment.data["record_field"]["id"] == "record_id"


def test_redcap_text_codes_and_labels_with_commas(redcap) -> None:
    items = items_of(redcap.definitions[0])
    assert [(o["value"], o["label"]["en"]) for o in items["state"]["options"]] == [
        ("texas", "Texas"),
        ("LA2-8", "Louisiana (district 2-8)"),
        ("ABC", "Other, not listed"),
    ]
    assert items["state"]["appearance"] == "dropdown"
    assert [o["value"] for o in items["sex"]["options"]] == [1, 2, 3, 99]


def test_redcap_branching_is_translated_and_applied(redcap) -> None:
    enrolment = parse_definition(redcap.definitions[0])
    items = items_of(redcap.definitions[0])
    assert items["cough_days"]["relevant"] == 'selected([symptoms], "1")'
    assert items["state_other"]["relevant"] == '[state] = "ABC"'
    answers = {"dob": "2001-05-01", "state": "texas", "symptoms": [2]}
    shown = enrolment.relevant_ids(answers)
    assert "symptoms" in shown and "fever_max" in shown
    assert "cough_days" not in shown and "state_other" not in shown
    # cough_days is required, but hidden: never required
    assert "cough_days" not in completeness(enrolment, answers).missing_required
    assert "cough_days" in completeness(enrolment, {**answers, "symptoms": [1]}).missing_required
    # born after 2010: symptoms hidden, and so is everything that depends on it
    later = enrolment.relevant_ids({"dob": "2012-01-01", "state": "texas", "symptoms": [1]})
    assert "symptoms" not in later and "cough_days" not in later


def test_redcap_validation_is_kept_and_checked(redcap) -> None:
    from werkplaats.stats.definition import AnswerError, check_answer

    enrolment = parse_definition(redcap.definitions[0])
    assert enrolment.item("fever_max").validation == {
        "type": "number_1dp_comma_decimal",
        "min": 35,
        "max": 43,
    }
    assert check_answer(enrolment, "fever_max", "38,5") == 38.5
    assert check_answer(enrolment, "enrol_date", "2024-03-01") == "2024-03-01"
    for item_id, value, code in [
        ("fever_max", "44", "too_high"),
        ("cough_days", "2.5", "not_whole"),
        ("email", "not-an-address", "not_an_email"),
        ("dob", "31-12-1990", "not_a_date"),
        ("enrol_date", "2019-12-31", "too_low"),
        ("state", "florida", "not_an_option"),
    ]:
        with pytest.raises(AnswerError) as exc:
            check_answer(enrolment, item_id, value)
        assert exc.value.code == code


def test_redcap_losses_name_row_and_field_in_both_languages(redcap) -> None:
    [event] = losses_about(redcap, "other_visit")
    assert event.row == 21
    assert event.text("en").startswith("row 21, other_visit: relevant")
    assert event.text("nl").startswith("rij 21, other_visit:")
    assert event.text("nl") != event.text("en")
    assert losses_about(redcap, "consent_form") and losses_about(redcap, "no_choices")
    # kept verbatim for the way back
    assert items_of(redcap.definitions[0])["other_visit"]["verbatim"]["relevant"] == (
        "[visit_2_arm_1][consent] = '1'"
    )


def test_redcap_trailing_empty_rows_are_not_fields(redcap) -> None:
    assert sum(len(d["items"]) for d in redcap.definitions) == 28


def test_redcap_round_trip_keeps_every_field_and_adds_nothing(redcap) -> None:
    for data in redcap.definitions:
        definition = parse_definition(data)
        exported = formats.write(definition, "redcap", "en")
        text = exported.content.decode()
        assert "informant" not in text and "score_total" not in text
        back = formats.read(exported.content, "redcap", "x.csv", "en")
        assert back.definitions[0]["items"] == data["items"]
        assert back.definitions[0].get("scales") == data.get("scales")


def test_a_calc_field_computes_in_scoring(redcap) -> None:
    enrolment = parse_definition(redcap.definitions[0])
    values = enrolment.calculated({"weight": 80, "height": 2})
    assert values["bmi"] == 20.0


# XLSForm --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def household():
    return read("xlsform_household.csv", "xlsform-csv")


def test_xlsform_languages_are_kept_under_their_own_code(household) -> None:
    definition = parse_definition(household.definitions[0])
    assert definition.languages == ("en", "sw")
    assert definition.item("age").text == {"en": "Age in years", "sw": "Umri kwa miaka"}
    assert definition.item_text("age", "client", "sw") == "Umri kwa miaka"
    # a language the form does not have: the form's first
    assert definition.item_text("age", "client", "nl") == "Age in years"


def test_xlsform_groups_branching_constraints_and_choice_filters(household) -> None:
    definition = parse_definition(household.definitions[0])
    items = items_of(household.definitions[0])
    assert [g.id for g in definition.groups] == ["children"]
    assert items["n_children"]["group"] == "children"
    assert items["n_children"]["required_when"] == '[has_children] = "yes"'
    assert items["age"]["constraint"] == ". >= 0 and . <= 120"
    assert items["district"]["choice_filter"] == 'option("region") = [region]'
    # the group's condition hides its questions
    assert "n_children" not in definition.relevant_ids({"has_children": "no"})
    assert "n_children" in definition.relevant_ids({"has_children": "yes"})
    # cascading select
    district = definition.item("district")
    shown = definition.options_for(district, {"region": "arusha"})
    assert [o.value for o in shown] == ["meru", "karatu"]
    from werkplaats.stats.definition import AnswerError, check_answer

    with pytest.raises(AnswerError) as exc:
        check_answer(definition, "age", "130", {})
    assert exc.value.code in ("constraint", "too_high")


def test_xlsform_what_is_not_kept_is_reported(household) -> None:
    assert losses_about(household, "location")[0].row == 17
    assert "regex" in losses_about(household, "notes_free")[0].text("en")
    assert losses_about(household, "start_time")


def test_xlsform_round_trips_through_csv_and_xlsx(household) -> None:
    definition = parse_definition(household.definitions[0])
    for fmt in ("xlsform-csv", "xlsform-xlsx"):
        exported = formats.write(definition, fmt)
        back = formats.read(exported.content, fmt, "x", "en")
        assert back.definitions[0]["items"] == household.definitions[0]["items"]
        assert back.definitions[0]["groups"] == household.definitions[0]["groups"]
        assert back.definitions[0]["languages"] == ["en", "sw"]


def test_xlsform_padded_with_empty_rows_and_columns_imports() -> None:
    exported = formats.write(
        parse_definition(read("xlsform_household.csv", "xlsform-csv").definitions[0]),
        "xlsform-xlsx",
    )
    book = load_workbook(io.BytesIO(exported.content))
    survey = book["survey"]
    for n in range(formats.MAX_ROWS + 500):
        survey.cell(row=survey.max_row + 1, column=1, value="")
        survey.cell(row=2, column=80 + n % 5, value=None)
    buffer = io.BytesIO()
    book.save(buffer)
    result = formats.read(buffer.getvalue(), "xlsform-xlsx", "padded.xlsx", "en")
    assert len(result.definitions[0]["items"]) == 15


def test_a_row_pyxform_refuses_is_left_out_and_reported() -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(["type", "name", "label"])
    sheet.append(["integer", "age", "Age"])
    sheet.append(["calculate", "broken", ""])  # a calculate row needs its calculation
    sheet.append(["text", "name", "Name"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = formats.read(buffer.getvalue(), "xlsform-xlsx", "f.xlsx", "en")
    assert [i["id"] for i in result.definitions[0]["items"]] == ["age", "name"]
    [lost] = losses_about(result, "broken")
    assert lost.row == 3 and "pyxform" in lost.text("en")


# FHIR -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def questionnaire():
    return read("fhir_questionnaire.json", "fhir")


def test_fhir_contained_value_sets_linkids_and_nested_groups(questionnaire) -> None:
    definition = parse_definition(questionnaire.definitions[0])
    phq = definition.item("phq1")
    assert [o.value for o in phq.options] == ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
    assert definition.item("H1/T1/Q2").appearance == "dropdown"
    assert [(g.id, g.repeat) for g in definition.groups] == [
        ("H1", False),
        ("phq", False),
        ("meds", True),
    ]
    assert definition.item("cigarettes").note == {"en": "An average over the last week"}
    assert definition.item("cigarettes").validation == {"min": 1, "max": 100}
    assert definition.item("wellbeing").type == "slider"
    assert definition.languages == ("en", "nl")
    assert definition.item("H1/T1/Q2").text == {"en": "Sex", "nl": "Geslacht"}
    # option scores apart from the codes
    mood = definition.item("mood")
    assert [mood.item_score(c) for c in ("good", "ok", "bad")] == [2.0, 1.0, 0.0]


def test_fhir_enable_when_and_behaviour(questionnaire) -> None:
    definition = parse_definition(questionnaire.definitions[0])
    assert "H1/T1/Q3" not in definition.relevant_ids({"H1/T1/Q2": "female"})
    assert "H1/T1/Q3" in definition.relevant_ids({"H1/T1/Q2": "other"})
    assert "cigarettes" in definition.relevant_ids({"smoker": 1})
    # enableBehavior any, on a group
    assert "med_since" not in definition.relevant_ids({"phq1": "LA6568-5", "phq2": "LA6568-5"})
    assert "med_since" in definition.relevant_ids({"phq1": "LA6568-5", "phq2": "LA6571-9"})


def test_fhir_losses(questionnaire) -> None:
    assert any(
        "external value set" in loss.text("en") for loss in losses_about(questionnaire, "med_name")
    )
    assert losses_about(questionnaire, "consent_scan") and losses_about(questionnaire, "bmi")


def test_fhir_round_trip(questionnaire) -> None:
    definition = parse_definition(questionnaire.definitions[0])
    exported = formats.write(definition, "fhir", "en")
    back = formats.read(exported.content, "fhir", "q.json", "en")
    assert back.definitions[0]["items"] == questionnaire.definitions[0]["items"]
    # without the Werkplaats extension the branching still travels as enableWhen
    import json

    resource = json.loads(exported.content)
    resource.pop("extension")
    plain = parse_definition(formats.read(json.dumps(resource).encode(), "fhir").definitions[0])
    assert "H1/T1/Q3" in plain.relevant_ids({"H1/T1/Q2": "other"})
    assert "H1/T1/Q3" not in plain.relevant_ids({"H1/T1/Q2": "male"})


def test_fhir_bundle_of_questionnaires() -> None:
    import json

    one = json.loads((FILES / "fhir_questionnaire.json").read_text())
    two = {**one, "id": "second"}
    content = json.dumps(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": one}, {"resource": two}],
        }
    )
    result = formats.read(content.encode(), "fhir")
    assert [d["id"] for d in result.definitions] == ["health-check", "second"]


# Scoring follows branching --------------------------------------------------------


def test_a_hidden_item_is_not_scored(redcap) -> None:
    phq = parse_definition(redcap.definitions[1])
    assert score(phq, {"phq_1": 1, "phq_2": 2, "phq_3": 0})["phq"].value == 3.0


# The formula guard ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["redcap", "xlsform-csv", "xlsform-xlsx"])
def test_text_that_looks_like_a_formula_is_written_as_text(fmt: str) -> None:
    data = read("redcap_dictionary.csv").definitions[1]
    data = {**data, "items": [dict(i) for i in data["items"]]}
    data["items"][0]["text"] = {"en": '=HYPERLINK("http://evil.example","click")'}
    definition = parse_definition(data)
    exported = formats.write(definition, fmt, "en")
    if fmt == "xlsform-xlsx":
        book = load_workbook(io.BytesIO(exported.content))
        cells = [
            c
            for row in book["survey"].iter_rows()
            for c in row
            if c.value and str(c.value).startswith("=HYP")
        ]
        assert cells and all(c.data_type == "s" for c in cells)
    else:
        text = exported.content.decode()
        assert "'=HYPERLINK" in text
        assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    back = formats.read(exported.content, fmt, "x", "en")
    assert back.definitions[0]["items"][0]["text"]["en"].startswith("=HYPERLINK")
