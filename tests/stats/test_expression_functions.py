"""Arithmetic that real REDCap and XLSForm calculations use: powers, rounding, roots,
logarithms, whole numbers, medians and date arithmetic.

A REDCap body-mass index (``[weight]/([height]/100)^2``) or an XLSForm age
(``int((today() - ${dob}) div 365.25)``) was kept verbatim and never calculated,
because ``^`` and ``int()`` were not read; ``round(2.5)`` gave 2 (Python rounds halves to
even), where REDCap and ODK give 3.
"""

from __future__ import annotations

import datetime as dt

import pytest

from werkplaats.instruments import formats
from werkplaats.stats import expressions
from werkplaats.stats.definition import parse_definition
from werkplaats.stats.expressions import ExpressionError, evaluate, parse

WRITERS = {
    "werkplaats": expressions.to_werkplaats,
    "redcap": expressions.to_redcap,
    "xlsform": expressions.to_xlsform,
}


def value(text: str, dialect: str = "werkplaats", **answers: object) -> object:
    return evaluate(parse(text, dialect), answers, today=dt.date(2026, 12, 7))


def test_a_redcap_power_is_read_with_its_precedence() -> None:
    assert value("[w]/([h]/100)^2", "redcap", w=80, h=200) == pytest.approx(20.0)
    assert value("-[x]^2", "redcap", x=3) == -9  # -(x^2), as REDCap computes it
    assert value("2^3^2", "redcap") == 512  # right to left
    assert value("[x]^-1 * 2", "redcap", x=4) == 0.5
    assert value("2 * 3^2 + 1", "redcap") == 19


def test_the_power_is_a_function_in_the_other_dialects() -> None:
    node = parse("[w]/([h]/100)^2", "redcap")
    assert expressions.to_werkplaats(node) == "[w] / pow([h] / 100, 2)"
    assert expressions.to_xlsform(node) == "${w} div pow(${h} div 100, 2)"
    assert expressions.to_redcap(node) == "[w] / ([h] / 100)^2"
    with pytest.raises(ExpressionError, match="pow"):
        parse("${a}^2", "xlsform")
    with pytest.raises(ExpressionError, match="pow"):
        parse("[a]^2")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("round(2.5)", 3),
        ("round(-2.5)", -3),
        ("round(0.125, 2)", 0.13),
        ("round(2.675, 2)", 2.68),  # the decimal the user typed, not the float below it
        ("round(1234.5, -2)", 1200),
        ("roundup(1.21, 1)", 1.3),
        ("roundup(-1.21, 1)", -1.3),
        ("roundup(2)", 2),
        ("rounddown(1.29, 1)", 1.2),
        ("rounddown(-1.29, 1)", -1.2),
        ("int(-7.9)", -7),
        ("floor(-1.5)", -2),
        ("ceiling(1.2)", 2),
        ("sqrt(16)", 4),
        ("exp(0)", 1),
        ("log(1000, 10)", 3),
        ("log(8, 2)", 3),
        ("mod(7, 3)", 1),
        ("median(5, 1, 4, 2)", 3),
        ("median(1, [missing], 9)", 5),
    ],
)
def test_functions_give_what_redcap_and_odk_give(text: str, expected: float) -> None:
    dialect = (
        "redcap" if text.startswith(("mod", "roundup", "rounddown", "median")) else "werkplaats"
    )
    if text.startswith(("int", "floor", "ceiling")):
        dialect = "xlsform"
    assert value(text.replace("[missing]", "[m]"), dialect) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text", ["sqrt(-1)", "log(0)", "log(-1, 10)", "pow(-8, 0.5)", "exp(1000)", "pow(0, -1)"]
)
def test_outside_a_functions_domain_there_is_no_value(text: str) -> None:
    assert value(text) is None


def test_arithmetic_on_an_unanswered_item_has_no_value() -> None:
    assert value("sqrt([a]) + 1") is None
    assert value("round([a], 1)") is None
    assert value("pow([a], 2)", a="") is None


def test_an_xlsform_age_from_a_birth_date() -> None:
    text = "int((today() - ${dob}) div 365.25)"
    assert value(text, "xlsform", dob="1990-06-15") == 36  # 13,324 days
    assert value(text, "xlsform", dob="2000-12-08") == 25  # a day before the 26th birthday
    assert value("today() - ${dob}", "xlsform", dob="2026-12-01") == 6
    assert value(text, "xlsform", dob="") is None


@pytest.mark.parametrize(
    "text, dialect",
    [
        ("[w]/([h]/100)^2", "redcap"),
        ("round([a]/3, 1) + roundup([a], 0) - rounddown([a], 1)", "redcap"),
        ("sqrt([a]) + exp(1) + log([a]) + log([a], 10) + median([a], 1, 2)", "redcap"),
        ("mod([a], 3) = 1", "redcap"),
        ("int(${a}) + floor(${a}) + ceiling(${a}) + pow(${a}, 2) + log10(${a})", "xlsform"),
        ("${a} mod 2 = 0", "xlsform"),
    ],
)
def test_each_dialect_reads_back_what_it_writes(text: str, dialect: str) -> None:
    node = parse(text, dialect)
    answers = {"a": 7.3, "w": 80, "h": 180}
    for target, write in WRITERS.items():
        try:
            written = write(node)
        except ExpressionError as exc:
            # a function the target lacks is named, never written wrongly
            assert (target, str(exc)) in {
                ("xlsform", "XLSForm has no roundup()"),
                ("xlsform", "XLSForm has no median()"),
                ("redcap", "REDCap has no floor()"),
            }
            continue
        again = parse(written, target)
        assert evaluate(again, answers) == pytest.approx(evaluate(node, answers)), (
            target,
            written,
        )


def test_a_redcap_dictionary_with_a_bmi_calculation_is_calculated() -> None:
    rows = [
        ["Variable / Field Name", "Form Name", "Field Type", "Field Label",
         "Choices, Calculations, OR Slider Labels"],
        ["record_id", "intake", "text", "Record ID", ""],
        ["weight", "intake", "text", "Gewicht (kg)", ""],
        ["height", "intake", "text", "Lengte (cm)", ""],
        ["bmi", "intake", "calc", "BMI", "round([weight]/([height]/100)^2, 1)"],
    ]  # fmt: skip
    content = "\n".join(",".join(f'"{c}"' for c in row) for row in rows).encode()
    result = formats.read(content, None, "dictionary.csv", "nl")
    items = {i["id"]: i for i in result.definitions[0]["items"]}
    assert items["bmi"]["calculation"] == "round([weight] / pow([height] / 100, 2), 1)"
    assert "calculation" not in items["bmi"].get("verbatim", {})
    assert not [loss for loss in result.losses if "bmi" in str(loss)]
    definition = parse_definition(result.definitions[0])
    calculated = definition.calculated({"weight": "80", "height": "180"})
    assert calculated["bmi"] == pytest.approx(24.7)
