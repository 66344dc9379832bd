"""The report's words: term labels, the summary, the methods, column and value labels.

Everything here turns the analyses' results into sentences in the reader's language;
:mod:`werkplaats.insight.report` puts them in the report.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from werkplaats.insight.analysis import Results, significant
from werkplaats.insight.dataset import (
    Variable,
)
from werkplaats.insight.models import AnalysisPlan
from werkplaats.insight.plan import OutcomeInfo, Plan
from werkplaats.measurements.charts import informant_label


def term_label(term: str, words: dict[str, str] | None = None) -> str:
    """Plain words for a model term (``words``: column -> description)."""
    words = {
        "(Intercept)": _("level at the start (reference client)"),
        "time": _("growth per year"),
        **(words or {}),
    }
    parts = term.split(":")
    named = [words.get(p, p) for p in parts if p != "time"]
    if "time" in parts:
        if not named:
            return words["time"]
        return _("growth per year × %(what)s") % {"what": " × ".join(named)}
    return " × ".join(named) if named else words.get(term, term)


def column_words(plan: Plan, results: Results, variables: dict[str, Variable]) -> dict[str, str]:
    """Each model column (centred or not) -> the description of its catalogue variable."""
    out = {}
    for c in results.centres:
        v = variables.get(c.variable)
        out[c.column] = v.description if v else c.variable
    return out


LEVEL_NAMES = {"client_level": "client", "with_whom": "process", "context": "context"}


def growth_rows(r: Results, words: dict[str, str] | None = None) -> list[dict[str, Any]]:
    if not r.growth.ok:
        return []
    return [
        {
            **row,
            "level": LEVEL_NAMES.get(row["level"], row["level"]),
            "label": term_label(row["term"], words),
            "significant": significant(row),
        }
        for row in r.growth.result.terms.to_dict("records")
    ]


def estimates_frame(r: Results) -> pd.DataFrame:
    """One row per fixed effect of every fitted model (``estimates.csv``)."""
    cols = ["model", "term", "estimate", "std_error", "df", "ci_low", "ci_high", "level"]
    cols += ["clusters", "grouping"]
    if not r.growth.ok:
        return pd.DataFrame(columns=cols)
    t = r.growth.result.terms
    return pd.DataFrame(
        {
            "model": "growth",
            "term": t["term"],
            "estimate": t["estimate"],
            "std_error": t["se"],
            "df": t["df"],
            "ci_low": t["low"],
            "ci_high": t["high"],
            "level": [LEVEL_NAMES.get(x, x) for x in t["level"]],
            "clusters": t["clusters"],
            "grouping": t["grouping"],
        }
    )[cols]


def scale_axis(info: OutcomeInfo) -> str:
    if info.low is not None and info.high is not None:
        return f"{info.label} ({info.low:g}-{info.high:g})"
    return info.label


def summary_lines(
    r: Results, info: OutcomeInfo, words: dict[str, str]
) -> tuple[list[str], list[str]]:
    lines: list[str] = []
    warnings: list[str] = []
    lines.append(
        ngettext(
            "%(clients)s client who gave consent took part, with %(n)s measurements.",
            "%(clients)s clients who gave consent took part, with %(n)s measurements.",
            r.n_clients,
        )
        % {"clients": r.n_clients, "n": r.n_measurements}
    )
    if r.change.ok:
        ch = r.change.result
        lines.append(
            _("On average their score on %(scale)s went from %(before).1f to %(after).1f.")
            % {"scale": scale_axis(info), "before": ch.mean_before, "after": ch.mean_after}
        )
        if ch.norms:
            lines.append(
                _(
                    "Reliable change (higher is %(direction)s on this scale): %(improved)s of "
                    "%(n)s clearly improved and %(worse)s clearly got worse."
                )
                % {
                    "direction": _("better") if info.higher_is == "better" else _("worse"),
                    "improved": ch.improved,
                    "n": ch.n,
                    "worse": ch.deteriorated,
                }
            )
        else:
            warnings.append(
                _(
                    "The instrument gives no norms (SD and reliability) for this scale, so "
                    "reliable change cannot be judged."
                )
            )
    else:
        warnings.append(r.change.message)
    if r.growth.ok:
        rows = [row for row in growth_rows(r, words) if row["term"] not in ("(Intercept)", "time")]
        found = [row for row in rows if row["significant"]]
        for row in found:
            better = (row["estimate"] > 0) == (info.higher_is == "better")
            lines.append(
                (
                    _("Clearly linked with a better outcome: %(what)s.")
                    if better
                    else _("Clearly linked with a worse outcome: %(what)s.")
                )
                % {"what": row["label"]}
            )
        if not found:
            lines.append(_("None of the characteristics studied made a clear difference."))
    else:
        warnings.append(r.growth.message)
    for sec in r.mediation:
        if sec.ok:
            m = sec.result
            if m.boot_low > 0 or m.boot_high < 0:
                lines.append(
                    _("Part of the link between %(x)s and the change runs through %(m)s.")
                    % {"x": m.exposure, "m": m.mediator}
                )
    if r.voices.ok:
        v = r.voices.result
        under = v[v["under_respondents"]]
        for row in under.itertuples():
            warnings.append(
                _(
                    "Under-represented among respondents: %(group)s (%(dim)s) — %(share).0f%% of "
                    "the caseload, %(resp).0f%% of the respondents. Results may not speak for "
                    "this group."
                )
                % {
                    "group": row.group,
                    "dim": row.dimension,
                    "share": 100 * row.caseload_share,
                    "resp": 100 * row.respondent_share,
                }
            )
    return lines, warnings


def _centring_text(r: Results) -> str:
    parts = []
    for c in r.centres:
        if c.method == "grand_mean" and c.value is not None:
            parts.append(
                _("%(var)s at its mean %(value).4g") % {"var": c.variable, "value": c.value}
            )
        elif c.method == "group_mean":
            parts.append(
                _("%(var)s at the mean of its %(group)s (%(n)s groups)")
                % {"var": c.variable, "group": c.group, "n": c.groups}
            )
    if not parts:
        return _("No moderator is centred (indicators keep 0 and 1; the plan may say none).")
    return _("Centred on the analysed data: %(list)s; indicators keep 0 and 1.") % {
        "list": "; ".join(parts)
    }


def methods_lines(
    r: Results, info: OutcomeInfo, plan_row: AnalysisPlan, locked_before: bool
) -> list[str]:
    norms = info.norms or {}
    out = [
        _(
            "Analysis plan: version %(v)s (content hash %(hash)s)%(locked)s. Outcome: %(scale)s, "
            "answered by %(informant)s; higher is %(direction)s."
        )
        % {
            "v": plan_row.version,
            "hash": plan_row.content_hash[:12],
            "locked": (
                _(", pre-registered on %(at)s, before these data were read")
                % {"at": f"{plan_row.locked_at:%Y-%m-%d %H:%M} UTC"}
                if locked_before and plan_row.locked_at
                else _(", not pre-registered")
            ),
            "scale": scale_axis(info),
            "informant": informant_label(r.plan.outcome.informant),
            "direction": _("better") if info.higher_is == "better" else _("worse"),
        },
        _(
            "Data: every completed measurement of the plan's outcome of clients whose consent "
            "for this study stood when the report was made; clients are known by a keyed hash "
            "that differs per study."
        ),
        _(
            "Change per trajectory: first against last score; standardised mean change d_z "
            "with a noncentral-t 95%% interval; reliable change index (Jacobson & Truax) with "
            "SD %(sd)s and reliability %(rel)s from the instrument's norms."
        )
        % {"sd": norms.get("sd") or "—", "rel": norms.get("reliability") or "—"},
        _(
            "Growth model (linear mixed model, REML, Werkplaats' multilevel engine that "
            "agrees with lme4): %(formula)s. Time is years since the trajectory started. "
            "95%% t intervals and p-values with Satterthwaite degrees of freedom (as lmerTest)."
        )
        % {"formula": r.spec.formula()},
        _centring_text(r),
    ]
    if r.plan.mediators:
        out.append(
            _(
                "Working factors as mediators: indirect effect a·b by two least-squares "
                "regressions, adjusted for the first score, with a percentile bootstrap that "
                "resamples whole professionals. With observational data this shows an "
                "association that runs through the mediator, not a proven mechanism: it "
                "assumes no unmeasured confounding of exposure, mediator and outcome."
            )
        )
    out += [
        _(
            "Agreement between informants: ICC (Shrout & Fleiss), Bland–Altman limits of "
            "agreement, and the mean difference per target group."
        ),
        _(
            "Representation: respondents (clients with consent and at least one answered "
            "questionnaire) and storytellers against the caseload of the participating "
            "organisations; a group is flagged when its share among respondents is below 80%% "
            "of its share of the caseload."
        ),
    ]
    out.append(_("Steps that ran: %(steps)s.") % {"steps": "; ".join(s.text(_) for s in r.steps)})
    return out


def localise(r: Results) -> None:
    """Put every section's message into the reader's language (the pipeline keeps
    English msgids with their values, being plain Python)."""
    for sec in [
        r.change,
        r.gas,
        r.growth,
        *r.mediation,
        r.agreement,
        r.voices,
        *r.growth_notes,
    ]:
        if sec.message:
            sec.message = sec.text(_)
            sec.params = {}


def column_labels(
    plan: Plan, centres: list[Any], variables: dict[str, Variable], info: OutcomeInfo
) -> dict[str, str]:
    labels = {
        "score": _("Score: %(scale)s") % {"scale": scale_axis(info)},
        "time": _("Years since the trajectory started"),
        "client": _("Client, keyed hash per study"),
        "professional": _("Lead professional, keyed hash per study"),
        "team": _("Team"),
        "organisation": _("Practice organisation"),
        "municipality": _("Municipality of the client's neighbourhood"),
    }
    for c in centres:
        v = variables.get(c.variable)
        text = v.description if v else c.variable
        if c.method == "grand_mean":
            text += " " + _("(centred at %(value).4g)") % {"value": c.value}
        elif c.method == "group_mean":
            text += " " + _("(centred at the mean of its %(group)s)") % {"group": c.group}
        labels[c.column] = text
    return labels


def value_labels(centres: list[Any], kinds: dict[str, str]) -> dict[str, dict[int | float, str]]:
    return {
        c.column: {0: _("no"), 1: _("yes")} for c in centres if kinds.get(c.variable) == "indicator"
    }
