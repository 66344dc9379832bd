"""The multilevel engine's refusals and warnings in the reader's language.

The engine (werkplaats.stats.multilevel) speaks English in its exceptions and
``messages``; a report or page never shows that text. The refusal is chosen by the kind
of error (its class) and the warnings are read from the fitted result's fields
(``singular``, ``converged``, ``optimizer``, ``dropped_columns``, ``clusters``), each as an
English msgid with its values, which the report translates (``report.localise``).
No Django here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from werkplaats.insight.plan import gettext_noop as _
from werkplaats.stats.multilevel import errors as ml_errors
from werkplaats.stats.multilevel.fit import FEW_CLUSTERS


def engine_refusal(exc: Exception) -> str:
    """The engine's refusal as a message in the reader's language, chosen by the kind of
    error (its class), never by reading the English text."""
    for kind, msgid in _REFUSALS:
        if isinstance(exc, kind):
            return msgid
    return _("The growth model could not be fitted on these data.")


_REFUSALS: list[tuple[type[Exception], str]] = [
    (
        ml_errors.TooFewLevelsError,
        _("The growth model could not be fitted: a grouping has fewer than two levels."),
    ),
    (
        ml_errors.TooManyParametersError,
        _(
            "The growth model could not be fitted: the random effects have more parameters "
            "than the data can carry. Use fewer random groups."
        ),
    ),
    (
        ml_errors.DesignTooLargeError,
        _(
            "The growth model could not be fitted: the crossed random effects are too large "
            "for this server. Use fewer random groups."
        ),
    ),
    (
        ml_errors.InfiniteValueError,
        _("The growth model could not be fitted: a variable of the plan has an infinite value."),
    ),
    (
        ml_errors.ConstantResponseError,
        _("The growth model could not be fitted: the outcome does not vary."),
    ),
    (
        ml_errors.EmptyDataError,
        _("The growth model could not be fitted: no complete rows are left."),
    ),
    (
        ml_errors.MissingColumnError,
        _("The growth model could not be fitted: the plan names a column the data lack."),
    ),
    (
        ml_errors.FormulaError,
        _("The growth model could not be fitted: the engine does not accept its formula."),
    ),
    (
        np.linalg.LinAlgError,
        _(
            "The growth model could not be fitted: its equations have no unique solution "
            "(a matrix is not positive definite)."
        ),
    ),
]


def growth_notes(model: Any) -> list[tuple[str, dict[str, Any]]]:
    """The fitted model's warnings as messages in the reader's language, read from the
    result's fields (``singular``, ``converged``, ``dropped_columns``, ``clusters``), not
    from the engine's English text."""
    notes: list[tuple[str, dict[str, Any]]] = []
    if getattr(model, "singular", False):
        notes.append(
            (
                _(
                    "The fit is singular: at least one random-effect variance is estimated at "
                    "(or near) zero, for instance the differences between professionals in "
                    "growth. The fixed effects stand; that variance component cannot be told "
                    "apart from zero with these data."
                ),
                {},
            )
        )
    if not getattr(model, "converged", True):
        optimizer = getattr(model, "optimizer", {}) or {}
        notes.append(
            (
                _(
                    "The model did not converge (largest scaled gradient %(gradient)s after "
                    "%(n)s evaluations): read its estimates with caution."
                ),
                {
                    "gradient": f"{float(optimizer.get('max_scaled_grad', float('nan'))):.2g}",
                    "n": optimizer.get("nfev", "?"),
                },
            )
        )
    dropped = list(getattr(model, "dropped_columns", []) or [])
    if dropped:
        notes.append(
            (
                _(
                    "Not every fixed effect can be estimated from these data (the design is "
                    "rank deficient); left out: %(terms)s."
                ),
                {"terms": ", ".join(dropped)},
            )
        )
    clusters = getattr(model, "clusters", None)
    if clusters is not None and len(clusters):
        few = clusters[clusters["clusters"] < FEW_CLUSTERS]
        for row in few.itertuples():
            notes.append(
                (
                    _(
                        "%(term)s rests on only %(n)s levels of %(grouping)s (fewer than "
                        "%(min)s): its estimate is uncertain for that reason, whatever the "
                        "number of measurements; its t interval (Satterthwaite df) allows for it."
                    ),
                    {
                        "term": row.term,
                        "n": int(row.clusters),
                        "grouping": row.grouping,
                        "min": FEW_CLUSTERS,
                    },
                )
            )
    return notes
