"""Agreement statistics against published worked examples.

Krippendorff (2011), *Computing Krippendorff's Alpha-Reliability*, section C: the binary
example (C.1, alpha = 0.095) and the example with four coders and missing data (C.3: nominal 0.743, ordinal 0.815, interval
0.849, ratio 0.797). Cohen's kappa: the 2x2 textbook example (50 items, po = 0.70,
pe = 0.50, kappa = 0.40).
"""

from __future__ import annotations

from collections.abc import Hashable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from werkplaats.stats.agreement import (
    cohens_kappa,
    coincidence_matrix,
    krippendorff_alpha,
    percent_agreement,
)

C3 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_c3_four_coders_with_missing_data(level, expected):
    assert krippendorff_alpha(C3, level=level) == pytest.approx(expected, abs=5e-4)


def test_krippendorff_2011_c1_binary_two_coders():
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    assert krippendorff_alpha([a, b]) == pytest.approx(0.095, abs=5e-4)


def test_c3_coincidence_matrix_total_is_number_of_pairable_values():
    values, o = coincidence_matrix(C3)
    assert values == [1, 2, 3, 4, 5]
    # Unit 12 has a single value and is not pairable: 40 values, minus 1.
    assert sum(map(sum, o)) == pytest.approx(40)


def test_cohens_kappa_textbook_2x2():
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohens_kappa(a, b) == pytest.approx(0.40)
    assert percent_agreement([a, b]) == pytest.approx(0.70)


def test_cohens_kappa_drops_units_either_coder_left_out():
    assert cohens_kappa(["a", "b", None, "a"], ["a", "b", "b", None]) == pytest.approx(1.0)


def test_percent_agreement_over_pairs_with_three_coders():
    # One unit: two of three pairs (ordered: 2 of 6) agree.
    assert percent_agreement([["a"], ["a"], ["b"]]) == pytest.approx(2 / 6)


@pytest.mark.parametrize(
    "func",
    [
        lambda: krippendorff_alpha([[1, None], [None, 2]]),
        lambda: krippendorff_alpha([[1, 1], [1, 1]]),
        lambda: cohens_kappa(["a", "a"], ["a", "a"]),
        lambda: cohens_kappa(["a"], ["a", "b"]),
        lambda: percent_agreement([[None], ["a"]]),
        lambda: krippendorff_alpha([[1, 2], [1]]),
        lambda: krippendorff_alpha(C3, level="cardinal"),  # type: ignore[arg-type]
    ],
)
def test_undefined_cases_raise_a_clear_error(func):
    with pytest.raises(ValueError):
        func()


@pytest.mark.parametrize("level", ["interval", "ratio"])
def test_levels_that_subtract_values_name_a_value_that_is_no_number(level):
    data: list[list[Hashable]] = [[1, 2, (3, 4)], [1, 2, (3, 4)], [2, 2, 1]]
    with pytest.raises(ValueError, match=rf"The {level} level needs numbers; \(3, 4\)"):
        krippendorff_alpha(data, level=level)
    # numbers written as text are numbers
    as_text = [["1", "2", "3"], ["1", "2", "4"], ["2", "2", "1"]]
    as_numbers = [[1, 2, 3], [1, 2, 4], [2, 2, 1]]
    assert krippendorff_alpha(as_text, level=level) == pytest.approx(
        krippendorff_alpha(as_numbers, level=level)
    )


@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("abc")), min_size=2, max_size=40))
def test_alpha_is_at_most_one_and_one_only_for_perfect_agreement(pairs):
    a = [x for x, _ in pairs]
    b = [y for _, y in pairs]
    try:
        alpha = krippendorff_alpha([a, b])
    except ValueError:
        return
    assert alpha <= 1.0 + 1e-12
    assert (abs(alpha - 1.0) < 1e-12) == (a == b)
