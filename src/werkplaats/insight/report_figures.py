"""The report's figures (SVG): course per target group, estimates, agreement, voices."""

from __future__ import annotations

import pandas as pd
from django.utils.translation import gettext as _

from werkplaats.insight import svg
from werkplaats.insight.analysis import Results
from werkplaats.insight.plan import OutcomeInfo
from werkplaats.insight.report_text import growth_rows, scale_axis


def report_figures(
    frame: pd.DataFrame, r: Results, info: OutcomeInfo, words: dict[str, str]
) -> dict[str, str]:
    figs: dict[str, str] = {}
    client = frame[frame["informant"] == r.plan.outcome.informant]
    if len(client):
        c = client.assign(band=(client["time"].astype(float) * 4).round() / 4)
        series: dict[str, list[tuple[float, float]]] = {}
        for group, sub in c.groupby("target_group"):
            means = sub.groupby("band")["score"].agg(["mean", "size"])
            pts = [(float(b), float(m)) for b, (m, n) in means.iterrows() if n >= 10 and b <= 2]
            if len(pts) >= 2:
                series[str(group)] = pts
        figs["course"] = svg.lines(
            series,
            _("Mean score by time in trajectory: %(scale)s") % {"scale": info.label},
            _("years since the start"),
            scale_axis(info),
        )
    rows = [row for row in growth_rows(r, words) if row["term"] != "(Intercept)"]
    if rows:
        figs["forest"] = svg.forest(
            [
                (row["label"], row["estimate"], row["low"], row["high"], row["significant"])
                for row in rows
            ],
            _("Estimates with intervals of 95 per cent"),
        )
    if r.agreement.ok:
        a = r.agreement.result
        pairs = a.pairs.sample(min(len(a.pairs), 1500), random_state=1)
        pts = [
            (float((x + y) / 2), float(x - y))
            for x, y in zip(pairs["client"], pairs["professional"], strict=True)
        ]
        ba = a.bland_altman
        figs["bland_altman"] = svg.scatter_limits(
            pts, ba.bias, ba.lower, ba.upper, _("Client minus professional, by their mean")
        )
    if r.voices.ok:
        v = r.voices.result
        tg = v[v["dimension"] == "target_group"]
        figs["voices"] = svg.bars(
            [
                (str(g), float(a), float(b), bool(w))
                for g, a, b, w in zip(
                    tg["group"],
                    tg["caseload_share"],
                    tg["respondent_share"],
                    tg["under_respondents"],
                    strict=True,
                )
            ],
            _("Share of the caseload and of the respondents"),
            _("caseload"),
            _("respondents"),
        )
    return figs
