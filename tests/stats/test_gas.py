import csv
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

from werkplaats.stats.gas import gas_t_score

REFERENCE = Path(__file__).parent / "reference" / "gas_t_scores.csv"


def _cases():
    with REFERENCE.open() as f:
        for row in csv.DictReader(f):
            yield (
                [int(x) for x in row["levels"].split()],
                [float(w) for w in row["weights"].split()],
                float(row["t_score"]),
            )


@pytest.mark.parametrize(("levels", "weights", "expected"), list(_cases()))
def test_matches_r_reference(levels, weights, expected):
    assert_allclose(gas_t_score(levels, weights), expected, rtol=1e-10)


def test_all_goals_as_expected_is_fifty():
    assert gas_t_score([0, 0, 0, 0]) == 50.0


@pytest.mark.parametrize(
    ("levels", "weights", "message"),
    [
        ([], None, "at least one"),
        ([3], None, "must be -2"),
        ([1, 2], [1], "one per goal"),
        ([1], [0], "positive"),
    ],
)
def test_bad_input_is_explained(levels, weights, message):
    with pytest.raises(ValueError, match=message):
        gas_t_score(levels, weights)
