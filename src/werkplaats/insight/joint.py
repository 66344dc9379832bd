"""The joint display's figures from the study plan's fitted growth model.

When a report is built, each client's line of fitted values (the model's fixed effects at
the client's own characteristics plus the client's random effects, lme4's ``fitted()``)
is summarised as an intercept and a growth per year (least squares through the client's
fitted values; exact where the client's characteristics do not change over time). They
are stored with the run (:class:`~werkplaats.insight.models.ModelCase`), with per target
group the mean growth per year of the group's clients and its spread.

The joint display of a coding round (stories) shows these figures per theme and group, and
the case page shows a client's scores beside their fitted line. The stories app does not
import insight (the layers contract), so the pages that compose both are here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

NO_GROUP = ""  # stories.selectors.NO_GROUP: a source without a target group


@dataclass(frozen=True)
class GroupFigure:
    slope: float  # mean fitted growth per year of the group's clients
    low: float  # 25th percentile of the clients' fitted growth
    high: float  # 75th percentile
    n: int  # clients

    def as_dict(self) -> dict[str, float | int]:
        return {"slope": self.slope, "low": self.low, "high": self.high, "n": self.n}


def fitted_lines(model_data: pd.DataFrame, fitted: pd.Series) -> pd.DataFrame:
    """Per client: intercept and slope (per year) of the least-squares line through the
    client's fitted values, and the number of measurements; clients measured at one time
    only have no slope and are left out.

    >>> data = pd.DataFrame({"client": ["a", "a", "b"], "time": [0.0, 1.0, 0.5]})
    >>> fitted_lines(data, pd.Series([10.0, 12.5, 9.0])).round(2).to_dict("index")
    {'a': {'intercept': 10.0, 'slope': 2.5, 'n': 2}}
    """
    common = model_data.index.intersection(fitted.index)
    d = pd.DataFrame(
        {
            "client": model_data.loc[common, "client"].to_numpy(),
            "time": model_data.loc[common, "time"].astype(float).to_numpy(),
            "fitted": fitted.loc[common].astype(float).to_numpy(),
        }
    )
    g = d.groupby("client", sort=True)
    t_mean = g["time"].transform("mean")
    f_mean = g["fitted"].transform("mean")
    d["sxy"] = (d["time"] - t_mean) * (d["fitted"] - f_mean)
    d["sxx"] = (d["time"] - t_mean) ** 2
    sums = d.groupby("client", sort=True).agg(
        sxy=("sxy", "sum"),
        sxx=("sxx", "sum"),
        t=("time", "mean"),
        f=("fitted", "mean"),
        n=("time", "size"),
    )
    sums = sums[sums["sxx"] > 1e-12]
    slope = sums["sxy"] / sums["sxx"]
    out = pd.DataFrame(
        {"intercept": sums["f"] - slope * sums["t"], "slope": slope, "n": sums["n"].astype(int)}
    )
    out.index.name = "client"
    return out


def group_figures(lines: pd.DataFrame, codes: dict[str, set[str]]) -> dict[str, GroupFigure]:
    """Per target group code (a client counts in every group of their trajectories; no
    group: ``NO_GROUP``): mean and quartiles of the fitted growth per year."""
    members: dict[str, list[float]] = {}
    for client, slope in lines["slope"].items():
        for code in codes.get(str(client)) or {NO_GROUP}:
            members.setdefault(code, []).append(float(slope))
    return {
        code: GroupFigure(
            float(np.mean(values)),
            float(np.percentile(values, 25)),
            float(np.percentile(values, 75)),
            len(values),
        )
        for code, values in sorted(members.items())
    }


def model_summary(results: Any, codes: dict[str, set[str]]) -> tuple[dict[str, Any], pd.DataFrame]:
    """What a run keeps for the joint display: the group figures (JSON) and the clients'
    fitted lines; empty where the growth model did not run."""
    if not results.growth.ok:
        return {}, pd.DataFrame(columns=["intercept", "slope", "n"])
    lines = fitted_lines(results.model_data, results.growth.result.model.fitted)
    groups = group_figures(lines, codes)
    return {"groups": {code: g.as_dict() for code, g in groups.items()}}, lines
