"""Constructs met in public REDCap, XLSForm and FHIR files that the first readers got wrong.

Each test reads a small file written for it (inline, or in ``files/``; no third-party
content) that holds one construct as the public files use it, and checks that it is kept
or named in the loss report, never dropped silently, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from werkplaats.instruments import formats
from werkplaats.stats import expressions
from werkplaats.stats.definition import parse_definition

FILES = Path(__file__).parent / "files"


def _read(content: bytes, fmt: str | None = None, filename: str = "") -> formats.ImportResult:
    result = formats.read(content, fmt, filename, "nl")
    for data in result.definitions:
        parse_definition(data)  # what the import then checks; raises on a wrong mapping
    return result


def _items(result: formats.ImportResult) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in result.definitions[0]["items"]}


def _losses(result: formats.ImportResult) -> list[str]:
    return [str(loss) for loss in result.losses]


# ---------------------------------------------------------------- the expression language


def test_the_canonical_not_before_a_parenthesis_reads_back() -> None:
    """The writer gives ``not (a and b)``; the reader took ``not (`` for a function call
    outside the canonical list, so an XLSForm constraint ``not(... and ...)`` was
    translated on import and then refused by the definition check."""
    tree = expressions.translate("not(selected(., 'geen') and count-selected(.) > 1)", "xlsform")
    assert tree == 'not (selected(., "geen") and count(.) > 1)'
    node = expressions.parse(tree)
    assert node.kind == "not"
    assert expressions.parse("not ([a] = 1) or [b] = 2").kind == "op"  # (not a=1) or b=2


# ---------------------------------------------------------------- REDCap

DICTIONARY = [
    ["Variable / Field Name", "Form Name", "Field Type", "Field Label",
     "Choices, Calculations, OR Slider Labels"],
    ["record_id", "intake", "text", "Record ID", ""],
    ["steun", "intake", "radio", "Krijgt u steun?", "1, Ja\n0, Nee\n-1, Weet ik niet"],
]  # fmt: skip


def test_redcap_choices_one_per_line_are_separate_choices() -> None:
    """Choices typed one per line (as in REDCap's designer) became one choice whose label
    held the others."""
    content = "\n".join(",".join(f'"{c}"' for c in row) for row in DICTIONARY).encode()
    options = _items(_read(content, None, "dictionary.csv"))["steun"]["options"]
    assert [(o["value"], o["label"]["nl"]) for o in options] == [
        (1, "Ja"),
        (0, "Nee"),
        (-1, "Weet ik niet"),
    ]


def test_a_utf16_tab_separated_dictionary_is_recognised() -> None:
    """Excel's "Unicode text" is UTF-16 with tabs; the reader took it, the format
    detection did not."""
    text = "\r\n".join("\t".join(row).replace("\n", " | ") for row in DICTIONARY) + "\r\n"
    content = text.encode("utf-16")
    assert formats.detect("dictionary.txt", content) == "redcap"
    assert formats.detect("", content) == "redcap"
    options = _items(_read(content, None, "dictionary.txt"))["steun"]["options"]
    assert [o["value"] for o in options] == [1, 0, -1]


# ---------------------------------------------------------------- XLSForm


def test_an_excel_97_2003_xlsform_is_read() -> None:
    """``.xls`` (OLE2) workbooks, still common among ODK forms, were not recognised."""
    content = (FILES / "xlsform_legacy.xls").read_bytes()
    assert formats.detect("form.xls", content) == "xlsform-xlsx"
    assert formats.detect("", content) == "xlsform-xlsx"
    result = _read(content, None, "form.xls")
    items = _items(result)
    assert result.definitions[0]["id"] == "steun_buurt"
    # pyxform's aliases: int, string, trigger, "select one from", "list name"
    assert items["leeftijd"]["type"] == "integer"
    assert items["woonplaats"]["type"] == "text"
    assert [o["value"] for o in items["steun"]["options"]] == ["ja", "nee"]
    assert items["hulpvormen"]["type"] == "multiple"
    assert items["hulpvormen"]["constraint"].startswith("not (")
    assert items["gelezen"]["appearance"] == "acknowledge"
    assert not [x for x in _losses(result) if "asked as text" in x or "not in the choices" in x]


ALIASES = b"""survey,type,name,label
,int,kinderen,Hoeveel kinderen wonen bij u?
,string,naam,Uw voornaam
,q date,datum,Datum van het gesprek
,add decimal prompt,gewicht,Gewicht in kg
,q note,uitleg,Lees dit eerst
,uri:deviceid,apparaat,
,select one from jn,contact,Had u contact?
choices,list name,name,label
,jn,1,Ja
,jn,0,Nee
"""


def test_pyxform_type_aliases_keep_their_type() -> None:
    result = _read(ALIASES, "xlsform-csv")
    items = _items(result)
    assert items["kinderen"]["type"] == "integer"
    assert items["naam"]["type"] == "text"
    assert items["datum"]["type"] == "date"
    assert items["gewicht"]["type"] == "decimal"
    assert items["uitleg"]["type"] == "display"
    assert [o["value"] for o in items["contact"]["options"]] == [1, 0]
    assert "apparaat" not in items  # device metadata, reported
    assert any("apparaat" in x and "metadata" in x for x in _losses(result))
    assert not [x for x in _losses(result) if "asked as text" in x]


OR_OTHER = b"""survey,type,name,label::Nederlands (nl),label::English (en)
,select_one vervoer or_other,vervoer,Hoe komt u hier?,How do you get here?
choices,list_name,name,label::Nederlands (nl),label::English (en)
,vervoer,fiets,Fiets,Bike
,vervoer,bus,Bus,Bus
"""


def test_or_other_asks_the_text_question_only_after_other() -> None:
    """pyxform writes the added question's condition as ``selected(../vervoer, 'other')``;
    the relative path was not translated, so the question was always asked."""
    result = _read(OR_OTHER, "xlsform-csv")
    items = _items(result)
    assert [o["value"] for o in items["vervoer"]["options"]][-1] == "other"
    assert items["vervoer_other"]["relevant"] == 'selected([vervoer], "other")'
    assert "verbatim" not in items["vervoer_other"]


TABLE_LIST = b"""survey,type,name,label,hint,appearance
,begin_group,stemming,Hoe voelde u zich deze week?,Kies per regel,table-list
,select_one schaal,rustig,Rustig,,
,select_one schaal,somber,Somber,,
,end_group,,,,
choices,list_name,name,label,image
,schaal,1,Nooit,nooit.png
,schaal,2,Soms,soms.png
,schaal,3,Vaak,vaak.png
"""


def test_a_table_list_group_asks_no_extra_question_and_reports_media_once() -> None:
    """pyxform adds a header row (``reserved_name_for_field_list_labels_N``) to a
    table-list group; it was imported as a question of its own."""
    result = _read(TABLE_LIST, "xlsform-csv")
    items = _items(result)
    assert list(items) == ["rustig", "somber"]
    assert result.definitions[0]["groups"] == [
        {
            "id": "stemming",
            "label": {"nl": "Hoe voelde u zich deze week?"},
            "appearance": "table-list",
        }
    ]
    assert "appearance" not in items["rustig"]
    assert any("stemming" in x and "hint of a group" in x for x in _losses(result))
    media = [x for x in _losses(result) if "images or sounds" in x]
    assert len(media) == 2  # once per question, not once per choice


LOOP = b"""survey,type,name,label::Nederlands (nl)
,begin loop over hulp,per_hulp,
,integer,uren,Hoeveel uur per week krijgt u %(label)s?
,end loop,,
choices,list_name,name,label::Nederlands (nl)
,hulp,thuiszorg,thuiszorg
,hulp,mantelzorg,mantelzorg
"""


def test_a_loop_over_a_list_is_asked_per_choice_and_reported() -> None:
    """``begin loop over LIST`` was read as one text question without a label, and the
    questions inside the loop were lost without a word."""
    result = _read(LOOP, "xlsform-csv")
    items = _items(result)
    assert list(items) == ["uren_thuiszorg", "uren_mantelzorg"]
    assert items["uren_thuiszorg"]["type"] == "integer"
    assert items["uren_mantelzorg"]["text"]["nl"] == "Hoeveel uur per week krijgt u mantelzorg?"
    assert items["uren_thuiszorg"]["group"] == "per_hulp_thuiszorg"
    assert any("per_hulp" in x and "loop" in x for x in _losses(result))


# ---------------------------------------------------------------- FHIR


def _questionnaire(*items: dict[str, Any]) -> bytes:
    return json.dumps(
        {"resourceType": "Questionnaire", "id": "q", "status": "active", "item": list(items)}
    ).encode()


def test_fhir_r5_coding_items_are_choices() -> None:
    """R5 replaced ``choice``/``open-choice`` by ``coding`` with ``answerConstraint``; such
    items were asked as free text, their options dropped."""
    content = _questionnaire(
        {
            "linkId": "vervoer",
            "text": "Hoe komt u hier?",
            "type": "coding",
            "answerConstraint": "optionsOnly",
            "answerOption": [
                {"valueCoding": {"code": "fiets", "display": "Fiets"}},
                {"valueCoding": {"code": "bus", "display": "Bus"}},
            ],
        },
        {
            "linkId": "klachten",
            "text": "Welke klachten heeft u?",
            "type": "coding",
            "repeats": True,
            "answerConstraint": "optionsOrString",
            "answerOption": [
                {"valueCoding": {"code": "pijn", "display": "Pijn"}},
                {"valueCoding": {"code": "moe", "display": "Moe"}},
            ],
        },
    )
    result = _read(content)
    items = _items(result)
    assert items["vervoer"]["type"] == "choice"
    assert [o["value"] for o in items["vervoer"]["options"]] == ["fiets", "bus"]
    assert items["klachten"]["type"] == "multiple"
    assert [x for x in _losses(result) if x.startswith("klachten") and "free-text" in x]
    assert not [x for x in _losses(result) if "asked as text" in x]


@pytest.mark.parametrize(
    ("kind", "key", "values"),
    [
        ("integer", "valueInteger", [0, 1, 2]),
        ("string", "valueString", ["thuis", "werk", "elders"]),
        ("date", "valueDate", ["2025-01-01", "2025-07-01", "2026-01-01"]),
        ("time", "valueTime", ["09:00:00", "13:00:00", "17:00:00"]),
    ],
)
def test_a_fhir_question_of_another_type_with_answer_options_is_a_choice(
    kind: str, key: str, values: list[Any]
) -> None:
    """An integer, string, date or time question may list its answers (``answerOption``);
    it was imported as a free question and its options were lost without a word."""
    result = _read(
        _questionnaire(
            {
                "linkId": "keuze",
                "text": "Kies er een",
                "type": kind,
                "answerOption": [{key: v} for v in values],
            }
        )
    )
    item = _items(result)["keuze"]
    assert item["type"] == "choice"
    assert [o["value"] for o in item["options"]] == values


# ---------------------------------------------------------------- date bounds


def _dictionary_with_bounds(*rows: tuple[str, str, str, str]) -> bytes:
    header = [
        "Variable / Field Name", "Form Name", "Field Type", "Field Label",
        "Choices, Calculations, OR Slider Labels", "Text Validation Type OR Show Slider Number",
        "Text Validation Min", "Text Validation Max",
    ]  # fmt: skip
    lines = [header, ["record_id", "intake", "text", "Record ID", "", "", "", ""]]
    lines += [
        [name, "intake", "text", name, "", vtype, low, high] for name, vtype, low, high in rows
    ]
    return "\n".join(",".join(f'"{c}"' for c in row) for row in lines).encode()


def test_redcap_date_bounds_in_the_fields_own_order_become_iso() -> None:
    """A ``date_dmy`` bound written ``31-12-2030`` was compared as text with the ISO
    answer, so every date in 2025 counted as after it and was refused."""
    result = _read(
        _dictionary_with_bounds(
            ("bezoek", "date_dmy", "01-02-2020", "31-12-2030"),
            ("geboren", "date_mdy", "12-31-1900", "today"),
            ("start", "datetime_dmy", "01-02-2020 08:30", ""),
            ("iso", "date_dmy", "2020-02-01", ""),
            ("vaag", "date_ymd", "01-02-2020", ""),
        ),
        None,
        "dictionary.csv",
    )
    items = _items(result)
    assert items["bezoek"]["validation"] == {
        "type": "date_dmy", "min": "2020-02-01", "max": "2030-12-31"
    }  # fmt: skip
    assert items["geboren"]["validation"]["min"] == "1900-12-31"
    assert items["geboren"]["validation"]["max"] == "today"
    assert items["start"]["validation"]["min"] == "2020-02-01 08:30"
    assert items["iso"]["validation"]["min"] == "2020-02-01"
    assert "min" not in items["vaag"]["validation"]  # d-m-y in a y-m-d field: which is it?
    assert items["vaag"]["verbatim"]["validation_min"] == "01-02-2020"
    assert any("vaag" in text and "01-02-2020" in text for text in _losses(result))
    assert not [t for t in _losses(result) if "bezoek" in t or "geboren" in t]
    definition = parse_definition(result.definitions[0])
    from werkplaats.stats.definition import AnswerError, check_answer

    assert check_answer(definition, "bezoek", "2025-05-05") == "2025-05-05"
    with pytest.raises(AnswerError, match="too_high"):
        check_answer(definition, "bezoek", "2031-01-01")
    assert check_answer(definition, "geboren", "1950-01-01") == "1950-01-01"
    with pytest.raises(AnswerError, match="too_high"):
        check_answer(definition, "geboren", "2999-01-01")  # after today


def test_a_minimum_of_today_is_checked_on_the_day_of_the_answer() -> None:
    """``today`` as a bound was compared as the word: every date was "before" it."""
    import datetime as dt

    from werkplaats.stats.definition import AnswerError, check_answer

    definition = parse_definition(
        _read(
            _dictionary_with_bounds(("afspraak", "date_ymd", "today", "")), None, "d.csv"
        ).definitions[0]
    )
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert check_answer(definition, "afspraak", tomorrow) == tomorrow
    with pytest.raises(AnswerError, match="too_low"):
        check_answer(definition, "afspraak", "2000-01-01")


def test_a_stored_date_bound_that_is_not_iso_refuses_no_answer() -> None:
    """A definition stored before the reader converted such bounds keeps working."""
    from werkplaats.stats.definition import check_answer

    data = _read(_dictionary_with_bounds(("d", "date_ymd", "2020-01-01", "")), None, "d.csv")
    raw = data.definitions[0]
    item = next(i for i in raw["items"] if i["id"] == "d")
    item["validation"]["max"] = "01-01-2020"
    definition = parse_definition(raw)
    assert check_answer(definition, "d", "2025-05-05") == "2025-05-05"
