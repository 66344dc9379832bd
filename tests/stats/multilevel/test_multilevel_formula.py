"""Formula parsing and model-matrix naming."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from werkplaats.stats.multilevel import FormulaError, parse_formula
from werkplaats.stats.multilevel.design import ModelMatrixSpec, build_matrix, variable_info


def test_interactions_expand_in_r_order() -> None:
    f = parse_formula("y ~ a * b * c")
    assert f.terms == (("a",), ("b",), ("c",), ("a", "b"), ("a", "c"), ("b", "c"), ("a", "b", "c"))
    assert f.intercept


def test_variables_inside_interaction_follow_first_appearance() -> None:
    assert parse_formula("y ~ x:time + time").terms == (("time",), ("x", "time"))
    assert parse_formula("y ~ time + x:time").terms == (("time",), ("time", "x"))


@pytest.mark.parametrize("text", ["y ~ 0 + x", "y ~ x - 1", "y ~ -1 + x", "y ~ x + 0"])
def test_intercept_removal(text: str) -> None:
    f = parse_formula(text)
    assert not f.intercept
    assert f.terms == (("x",),)


def test_parentheses_and_nesting_operator() -> None:
    assert parse_formula("y ~ (a + b) * c").terms == (
        ("a",),
        ("b",),
        ("c",),
        ("a", "c"),
        ("b", "c"),
    )
    assert parse_formula("y ~ a / b").terms == (("a",), ("a", "b"))


def test_random_terms() -> None:
    f = parse_formula("y ~ x + (x | g) + (0 + x | h) + (1 | a:b)")
    r = f.random
    assert [(t.terms, t.intercept, t.group, t.group_label) for t in r] == [
        ((("x",),), True, ("g",), "g"),
        ((("x",),), False, ("h",), "h"),
        ((), True, ("a", "b"), "a:b"),
    ]


def test_double_bar_splits_into_uncorrelated_terms() -> None:
    r = parse_formula("y ~ 1 + (x + z || g)").random
    assert [(t.terms, t.intercept) for t in r] == [
        ((), True),
        ((("x",),), False),
        ((("z",),), False),
    ]
    assert all(t.group == ("g",) for t in r)


def test_slash_expands_like_lme4() -> None:
    r = parse_formula("y ~ 1 + (1 | batch/cask)").random
    assert [(t.group, t.group_label) for t in r] == [
        (("batch",), "batch"),
        (("cask", "batch"), "cask:batch"),
    ]


def test_backticks_allow_odd_names() -> None:
    f = parse_formula("`my y` ~ `age (years)` + (1 | `the group`)")
    assert f.response == "my y"
    assert f.terms == (("age (years)",),)
    assert f.random[0].group == ("the group",)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("y x", "no '~'"),
        ("y ~ log(x) + (1|g)", "function calls"),
        ("y ~ x + (1 | g", "ends unexpectedly"),
        ("y ~ x + 2", "only 0 and 1"),
        ("y + z ~ x", "single column"),
        ("y ~ x + (0 | g)", "at least one effect"),
        ("y ~ x ^ 2", "not supported"),
        ("y ~ x + (1 | (1 | g))", "nested"),
    ],
)
def test_bad_formulas_raise_formula_error(text: str, fragment: str) -> None:
    with pytest.raises(FormulaError, match=fragment):
        parse_formula(text)
    assert issubclass(FormulaError, ValueError)


def _names(formula: str, data: pd.DataFrame) -> tuple[str, ...]:
    f = parse_formula(formula)
    info = {v: variable_info(v, data[v]) for v in f.fixed_variables}
    return ModelMatrixSpec.create(f.terms, f.intercept, info).names


def test_factor_names_follow_lme4() -> None:
    d = pd.DataFrame(
        {
            "y": [1.0, 2, 3, 4],
            "time": [0.0, 1, 2, 3],
            "service": pd.Categorical(["0", "1", "0", "1"]),
            "team": ["b", "a", "c", "a"],
            "flag": [True, False, True, True],
        }
    )
    assert _names("y ~ time * service", d) == ("(Intercept)", "time", "service1", "time:service1")
    assert _names("y ~ team", d) == ("(Intercept)", "teamb", "teamc")
    assert _names("y ~ 0 + team", d) == ("teama", "teamb", "teamc")
    assert _names("y ~ 0 + team + service", d) == ("teama", "teamb", "teamc", "service1")
    assert _names("y ~ flag", d) == ("(Intercept)", "flagTRUE")
    # Without the main effect of time, service enters the interaction with full coding.
    assert _names("y ~ service + time:service", d) == (
        "(Intercept)",
        "service1",
        "service0:time",
        "service1:time",
    )


def test_interaction_columns_are_products() -> None:
    d = pd.DataFrame({"x": [1.0, 2.0, 3.0], "f": pd.Categorical(["a", "b", "b"])})
    f = parse_formula("y ~ x * f")
    info = {v: variable_info(v, d[v]) for v in f.fixed_variables}
    spec = ModelMatrixSpec.create(f.terms, f.intercept, info)
    X = build_matrix(spec, d)
    np.testing.assert_array_equal(X, [[1, 1, 0, 0], [1, 2, 1, 2], [1, 3, 1, 3]])
