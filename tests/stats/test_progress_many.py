"""The not-on-track signal for many clients at once equals the one-by-one signal."""

from __future__ import annotations

import numpy as np
import pandas as pd

from werkplaats.stats.progress import on_track, on_track_table


def test_many_at_once_equals_one_by_one() -> None:
    rng = np.random.default_rng(7)
    n = 3000
    reference = pd.DataFrame(
        {
            "group": rng.choice(["a", "b", "c"], n),
            # whole and half bands included: 1.5 months rounds as round() does
            "months": np.concatenate([rng.uniform(0, 24, n - 4), [1.5, 4.5, 7.5, 10.5]]),
            "change": rng.normal(1, 3, n),
        }
    )
    rows = pd.DataFrame(
        {
            "group": rng.choice(["a", "b", "c", "d"], 400),
            "months": np.concatenate([rng.uniform(0, 30, 396), [1.5, 4.5, 7.5, 10.5]]),
            "change": rng.normal(1, 3, 400),
        }
    )
    many = on_track_table(reference, rows)
    one = [
        on_track(reference, g, m, c)
        for g, m, c in zip(rows["group"], rows["months"], rows["change"], strict=True)
    ]
    assert many.tolist() == one
    assert {True, False, None} <= set(one)  # every outcome occurs
