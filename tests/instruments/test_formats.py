"""Exchange formats: round trips keep what the target holds, and report the rest."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from werkplaats.instruments import formats
from werkplaats.instruments.formats import fhir, redcap
from werkplaats.stats.definition import DefinitionError, parse_definition

LIBRARY = Path(formats.__file__).parents[1] / "library"


def load(name: str):
    return parse_definition(yaml.safe_load((LIBRARY / f"{name}.yaml").read_text(encoding="utf-8")))


def round_trip(definition, fmt: str):
    exported = formats.write(definition, fmt)
    imported = formats.read(exported.content, None, exported.filename)
    return exported, imported, parse_definition(imported.definitions[0])


def item_scores(definition) -> dict[str, dict[int, float]]:
    return {i.id: {v: i.item_score(v) for v in i.values} for i in definition.items}


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize(
    "name", ["pearlin-mastery", "dejong-gierveld-6", "goal-attainment", "zrm", "tfi"]
)
def test_native_formats_round_trip_exactly(name: str, fmt: str) -> None:
    definition = load(name)
    exported, imported, back = round_trip(definition, fmt)
    assert back.data == definition.data and exported.losses == [] and imported.losses == []


@pytest.mark.parametrize("name", ["pearlin-mastery", "dejong-gierveld-6", "zrm", "goal-attainment"])
def test_fhir_round_trip_keeps_everything_through_the_extension(name: str) -> None:
    definition = load(name)
    exported, imported, back = round_trip(definition, "fhir")
    assert [i.id for i in back.items] == [i.id for i in definition.items]
    assert item_scores(back) == item_scores(definition)
    assert [s.id for s in back.scales] == [s.id for s in definition.scales]
    assert back.data["citation"] == definition.data["citation"]
    assert any("extension" in loss.what for loss in exported.losses)


def test_fhir_questionnaire_is_plain_r4() -> None:
    resource = json.loads(formats.write(load("dejong-gierveld-6"), "fhir").content)
    assert resource["resourceType"] == "Questionnaire" and resource["status"] == "active"
    first = resource["item"][0]
    assert first["type"] == "choice" and first["linkId"] == "lone3"
    # The recode table survives as ordinal values on each option: no 0, more or less 1, yes 1.
    ordinals = [o["extension"][0]["valueDecimal"] for o in first["answerOption"]]
    assert ordinals == [0.0, 1.0, 1.0]
    assert first["_text"]["extension"][0]["url"] == fhir.TRANSLATION


def test_fhir_without_werkplaats_extension_keeps_reverse_keying_and_says_what_was_assumed() -> None:
    resource = json.loads(formats.write(load("pearlin-mastery"), "fhir").content)
    resource.pop("extension")
    imported = formats.read(json.dumps(resource).encode(), "fhir")
    back = parse_definition(imported.definitions[0])
    assert [i.id for i in back.items if i.reverse] == ["m1", "m2", "m3", "m5", "m7"]
    # No scale is invented: a questionnaire without scales is a valid questionnaire.
    assert back.scales == ()
    assert any("scales are not in the source" in loss.what for loss in imported.losses)


@pytest.mark.parametrize("fmt", ["redcap", "xlsform-xlsx", "xlsform-csv"])
def test_pearlin_round_trip_keeps_items_reverse_keys_and_the_sum(fmt: str) -> None:
    definition = load("pearlin-mastery")
    exported, imported, back = round_trip(definition, fmt)
    assert [i.id for i in back.items] == [i.id for i in definition.items]
    assert item_scores(back) == item_scores(definition)
    assert back.scale("mastery").method == "sum"
    answers = {"m1": 2, "m2": 1, "m3": 3, "m4": 4, "m5": 1, "m6": 3, "m7": 2}
    from werkplaats.stats.scoring import score

    assert score(back, answers)["mastery"].value == score(definition, answers)["mastery"].value
    reported = " ".join(loss.text("en") for loss in exported.losses)
    assert "norms" in reported and "licence" in reported and "citation" in reported


def test_xlsform_keeps_both_languages_redcap_keeps_one() -> None:
    definition = load("pearlin-mastery")
    _e, _i, via_xls = round_trip(definition, "xlsform-xlsx")
    assert via_xls.item("m1").text == definition.item("m1").text
    exported, _i, via_redcap = round_trip(definition, "redcap")
    assert set(via_redcap.item("m1").text) == {"nl"}
    assert any("one language" in loss.what for loss in exported.losses)


@pytest.mark.parametrize("fmt", ["redcap", "xlsform-xlsx", "xlsform-csv"])
def test_recode_tables_travel_as_nested_ifs(fmt: str) -> None:
    from werkplaats.stats.scoring import score

    definition = load("dejong-gierveld-6")
    exported, imported, back = round_trip(definition, fmt)
    assert back.id == "dejong-gierveld-6"
    assert item_scores(back) == item_scores(definition)
    answers = {"lone3": 3, "lone9": 1, "lone10": 2, "lone4": 3, "lone7": 1, "lone8": 3}
    expected = {k: v.value for k, v in score(definition, answers).items()}
    assert {k: v.value for k, v in score(back, answers).items()} == expected
    # What the target cannot hold is still reported: bands, norms, the missing-data rule.
    reported = " ".join(loss.text("en") for loss in exported.losses)
    assert "bands" in reported and "minimum number answered" in reported


def test_an_item_recoded_two_ways_is_reported_not_guessed() -> None:
    content = (
        b'Variable / Field Name,Form Name,Field Type,Field Label,"Choices, Calculations, OR Slider Labels"\n'
        b'q,f,radio,Q,"1, a | 2, b"\n'
        b'score_one,f,calc,One,"sum(if([q]=1,0,if([q]=2,1,"""")))"\n'
        b'score_two,f,calc,Two,"sum(if([q]=1,5,if([q]=2,1,"""")))"\n'
    )
    imported = formats.read(content, "redcap")
    assert [s["id"] for s in imported.definitions[0]["scales"]] == ["one"]
    # the second is kept as a calculated field, and reported
    assert [i["id"] for i in imported.definitions[0]["items"]] == ["q", "score_two"]
    assert any("score_two" in loss.path for loss in imported.losses)


def test_methods_without_items_cannot_go_to_redcap() -> None:
    with pytest.raises(formats.FormatError):
        formats.write(load("goal-attainment"), "redcap")


def test_redcap_dictionary_with_other_field_types_lists_them() -> None:
    content = (
        b'Variable / Field Name,Form Name,Field Type,Field Label,"Choices, Calculations, OR Slider Labels"\n'
        b"record_id,wellbeing,text,Record ID,\n"
        b"name,wellbeing,text,Your name,\n"
        b'happy,wellbeing,radio,Are you happy?,"0, No | 1, Yes"\n'
        b"calm,wellbeing,yesno,Are you calm?,\n"
        b'score_total,wellbeing,calc,Total,"sum([happy],[calm])"\n'
    )
    imported = formats.read(content, None, "dict.csv")
    data = parse_definition(imported.definitions[0])
    # every field is kept as an item of its own type; the record id is the record field
    assert [(i.id, i.type) for i in data.items] == [
        ("name", "text"),
        ("happy", "choice"),
        ("calm", "yesno"),
    ]
    assert data.data["record_field"]["id"] == "record_id"
    assert data.scale("total").items == ("happy", "calm")


@pytest.mark.parametrize(
    ("content", "fmt", "message"),
    [
        (b"Variable / Field Name,Field Label\nq,Q\n", "redcap", "column"),
        (b'{"resourceType": "Patient"}', "fhir", "Questionnaire"),
        (b"format: [unclosed", "yaml", "not valid YAML"),
        (b"\xff\xfe\x00", "json", "UTF-8"),
        (b"PK\x03\x04 not really a zip", "xlsform-xlsx", "damaged"),
        (b"[1, 2, 3]", "json", "one definition"),
        # damaged: cut off inside a quoted choice list, mid-row, another encoding
        (
            b'Variable / Field Name,Form Name,Field Type,Field Label,"Choices, Calculations, OR Slider Labels"\n'
            b'record_id,f,text,ID,\nq,f,radio,Q,"1, a | 2, b | 3',
            "redcap",
            "cut off",
        ),
        (
            b'Variable / Field Name,Form Name,Field Type,Field Label,"Choices, Calculations, OR Slider Labels"\n'
            b'record_id,f,text,ID,\nq,f,radio,Q,"1, a | 2, b"\nr,f,ra',
            "redcap",
            "middle of a row",
        ),
        (
            "Variable / Field Name,Form Name,Field Type,Field Label\nrecord_id,f,text,ID\nq,f,text,Leeftijd in jaren (één getal)\n".encode(
                "cp1252"
            ),
            "redcap",
            "not UTF-8",
        ),
        (b'{"resourceType": "Questionnaire", "item": [', "fhir", "cut off"),
    ],
)
def test_malformed_files_are_refused_with_a_reason(content: bytes, fmt: str, message: str) -> None:
    with pytest.raises(formats.FormatError) as exc:
        formats.read(content, fmt)
    assert message in str(exc.value)


REDCAP_HEADER = (
    b'Variable / Field Name,Form Name,Field Type,Field Label,"Choices, Calculations, OR Slider Labels"\n'
    b"record_id,f,text,ID,\n"
)


@pytest.mark.parametrize(
    ("content", "fmt", "english", "dutch"),
    [
        (
            REDCAP_HEADER + b'q,f,radio,Q,"1, a | 2, b | 3',
            "redcap",
            "ends inside a quoted cell",
            "houdt op midden in een cel tussen aanhalingstekens",
        ),
        (
            REDCAP_HEADER + b'q,f,radio,Q,"1, a | 2, b"\nr,f,ra',
            "redcap",
            "ends in the middle of a row (3 of 5",
            "houdt op midden in een rij (3 van de 5",
        ),
        (
            REDCAP_HEADER + "q,f,text,Één getal,\n".encode("cp1252"),
            "redcap",
            "the data dictionary is not UTF-8 text (byte 0xc9",
            "het datadictionary is geen UTF-8-tekst (byte 0xc9",
        ),
        (
            b'type,name,label\nsurvey,,\n,text,q,"Leeftijd',
            "xlsform-csv",
            "the XLSForm ends inside",
            "het XLSForm houdt op midden in",
        ),
        (
            b"PK\x03\x04 not really a zip",
            "xlsform-xlsx",
            "the XLSForm cannot be read",
            "het XLSForm kan niet worden gelezen",
        ),
        (
            b'{"resourceType": "Questionnaire", "item": [',
            "fhir",
            "the FHIR file is not valid JSON",
            "het FHIR-bestand is geen geldige JSON",
        ),
        (
            b" " * (5 * 1024 * 1024 + 1),
            "yaml",
            "the file is too large: more than 5 MB",
            "het bestand is te groot: meer dan 5 MB",
        ),
    ],
)
def test_a_damaged_file_is_refused_in_dutch_and_english(
    content: bytes, fmt: str, english: str, dutch: str
) -> None:
    with pytest.raises(formats.FormatError) as exc:
        formats.read(content, fmt)
    assert english in " ".join(exc.value.lines("en"))
    assert dutch in " ".join(exc.value.lines("nl"))


def test_the_import_command_prints_a_damaged_file_in_both_languages(tmp_path, db) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "dictionary.csv"
    path.write_bytes(REDCAP_HEADER + b'q,f,radio,Q,"1, a | 2, b | 3')
    with pytest.raises(CommandError) as exc:
        call_command("instruments", "import", str(path))
    assert "ends inside a quoted cell" in str(exc.value)
    assert "houdt op midden in een cel tussen aanhalingstekens" in str(exc.value)


def test_an_oversized_file_is_refused_before_parsing() -> None:
    with pytest.raises(formats.FormatError, match="too large"):
        formats.read(b" " * (formats.MAX_BYTES + 1), "yaml")


def test_yaml_tags_that_run_code_are_refused() -> None:
    hostile = b"!!python/object/apply:os.system ['echo pwned']"
    with pytest.raises(formats.FormatError):
        formats.read(hostile, "yaml")


def test_a_billion_laughs_yaml_is_refused_without_exhausting_memory() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for n in range(1, 9):
        prev = chr(ord("a") + n - 1)
        cur = chr(ord("a") + n)
        lines.append(
            f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]"
        )
    content = "\n".join(lines).encode()
    with pytest.raises(formats.FormatError, match="aliases"):
        formats.read(content, "yaml")


def test_xlsx_that_is_a_zip_without_a_workbook_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(formats.FormatError):
        formats.read(buffer.getvalue(), "xlsform-xlsx")


def test_a_sheet_with_too_many_rows_is_refused() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(["type", "name", "label"])
    for n in range(formats.MAX_ROWS + 1):
        sheet.append(["note", f"n{n}", "x"])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(formats.FormatError, match="more than"):
        formats.read(buffer.getvalue(), "xlsform-xlsx")


@pytest.mark.parametrize("depth", [300, 480, 5000])
def test_deeply_nested_fhir_groups_never_crash(depth: int) -> None:
    leaf = '{"linkId": "q", "type": "choice", "answerOption": []}'
    text = '{"linkId": "g", "type": "group", "item": [' * depth + leaf + "]}" * depth
    content = ('{"resourceType": "Questionnaire", "item": [' + text + "]}").encode()
    _only_format_errors(content, "fhir")  # read (groups flattened) or refused, never a crash


@pytest.mark.parametrize(
    ("filename", "head", "expected"),
    [
        ("x.yaml", b"format: werkplaats.instrument/1", "yaml"),
        ("x.json", b'{"format": "werkplaats.instrument/1"}', "json"),
        ("q.json", b'{"resourceType": "Questionnaire"}', "fhir"),
        ("d.csv", b"Variable / Field Name,Form Name", "redcap"),
        ("f.csv", b"survey,type,name", "xlsform-csv"),
        ("f.xlsx", b"PK\x03\x04", "xlsform-xlsx"),
    ],
)
def test_the_format_is_detected(filename: str, head: bytes, expected: str) -> None:
    assert formats.detect(filename, head) == expected


def test_answers_export_as_redcap_records_and_fhir_responses() -> None:
    definition = load("pearlin-mastery")
    csv_text = redcap.write_records(
        definition,
        [
            {
                "record_id": "C-1",
                "event": "intake",
                "informant": "client",
                "complete": True,
                "answers": {"m1": 2, "m4": 3},
            }
        ],
    ).decode()
    header, row = csv_text.strip().splitlines()
    assert header.split(",")[:4] == ["record_id", "redcap_event_name", "informant", "m1"]
    assert row.startswith("C-1,intake,client,2,,,3") and row.endswith(",2")
    response = fhir.questionnaire_response(
        definition,
        identifier="a1",
        subject="C-1",
        informant="client",
        complete=False,
        authored="2025-01-01T10:00:00+00:00",
        answers={"m1": 2},
    )
    assert response["questionnaire"] == "urn:werkplaats:instrument:pearlin-mastery|1.0"
    assert response["status"] == "in-progress"
    assert response["item"][0]["answer"][0]["valueCoding"]["code"] == "2"


# Property-based: no input makes a parser fail other than with FormatError -------------

ANY_TEXT = st.text(max_size=400)
CSV_CELL = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)


def _only_format_errors(content: bytes, fmt: str) -> None:
    try:
        result = formats.read(content, fmt)
    except formats.FormatError:
        return
    for data in result.definitions:
        try:
            parse_definition(data)
        except DefinitionError:
            pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300), st.sampled_from(formats.FORMATS))
def test_random_bytes_never_crash_a_parser(content: bytes, fmt: str) -> None:
    _only_format_errors(content, fmt)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(CSV_CELL, min_size=5, max_size=5), max_size=6))
def test_random_redcap_rows_never_crash(rows: list[list[str]]) -> None:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "Variable / Field Name",
            "Form Name",
            "Field Type",
            "Field Label",
            "Choices, Calculations, OR Slider Labels",
        ]
    )
    writer.writerows(rows)
    _only_format_errors(out.getvalue().encode(), "redcap")


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "linkId",
                    "type",
                    "answerOption",
                    "valueCoding",
                    "code",
                    "item",
                    "text",
                    "extension",
                    "url",
                    "valueString",
                    "valueDecimal",
                    "resourceType",
                    "id",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=80, deadline=None)
@given(JSONISH)
def test_random_fhir_like_json_never_crashes(body) -> None:
    if isinstance(body, dict):
        body = {**body, "resourceType": "Questionnaire"}
    _only_format_errors(json.dumps(body).encode(), "fhir")


@settings(max_examples=60, deadline=None)
@given(JSONISH)
def test_random_definitions_are_refused_with_paths_not_crashes(body) -> None:
    try:
        parse_definition(body)
    except DefinitionError as exc:
        assert exc.problems


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(CSV_CELL, min_size=1, max_size=6), max_size=8))
def test_random_xlsform_csv_never_crashes(rows: list[list[str]]) -> None:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["survey", "type", "name", "label"])
    writer.writerows([["", *r] for r in rows])
    _only_format_errors(out.getvalue().encode(), "xlsform-csv")
