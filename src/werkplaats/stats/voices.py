"""The silenced-voices monitor: who is in the data, compared with who is in the caseload.

Input is one row per client of the caseload with the grouping columns (target group, age
band, neighbourhood, language), a flag ``respondent`` (answered at least one
questionnaire for the study), a flag ``story`` (told at least one story) and the number of
measurements ``due`` and ``done``. For each group the monitor gives the share of the
caseload, the share among respondents and among storytellers, the response rate and the
share of due measurements that is missing, and it warns where a group's share among
respondents (or storytellers) is less than ``ratio`` (0.8) of its share of the caseload.

Examples
--------
>>> import pandas as pd
>>> f = pd.DataFrame({"lang": ["nl"] * 80 + ["ar"] * 20,
...                   "respondent": [True] * 70 + [False] * 10 + [True] * 5 + [False] * 15,
...                   "story": [False] * 100, "due": [4] * 100, "done": [3] * 100})
>>> r = representation(f, ["lang"])
>>> r.loc[r.group == "ar", ["response_rate", "under_respondents"]].values.tolist()
[[0.25, True]]
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

COLUMNS = [
    "dimension",
    "group",
    "caseload",
    "caseload_share",
    "respondents",
    "respondent_share",
    "response_rate",
    "stories",
    "story_share",
    "missing_rate",
    "under_respondents",
    "under_stories",
]


def representation(
    caseload: pd.DataFrame, dimensions: Sequence[str], ratio: float = 0.8, min_n: int = 5
) -> pd.DataFrame:
    """One row per dimension and group; ``under_*`` flags under-representation."""
    n = len(caseload)
    if n == 0:
        return pd.DataFrame(columns=COLUMNS)
    n_resp = int(caseload["respondent"].sum())
    n_story = int(caseload["story"].sum())
    rows = []
    for dim in dimensions:
        for group, sub in caseload.groupby(caseload[dim].fillna("?"), observed=True):
            size = len(sub)
            resp = int(sub["respondent"].sum())
            story = int(sub["story"].sum())
            due = float(sub["due"].sum())
            share = size / n
            r_share = resp / n_resp if n_resp else 0.0
            s_share = story / n_story if n_story else 0.0
            rows.append(
                {
                    "dimension": dim,
                    "group": group,
                    "caseload": size,
                    "caseload_share": share,
                    "respondents": resp,
                    "respondent_share": r_share,
                    "response_rate": resp / size,
                    "stories": story,
                    "story_share": s_share,
                    "missing_rate": 1 - float(sub["done"].sum()) / due if due else None,
                    "under_respondents": size >= min_n and r_share < ratio * share,
                    "under_stories": size >= min_n and n_story > 0 and s_share < ratio * share,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
