"""Linear mixed models in pure Python, agreeing with R's lme4.

>>> from werkplaats.stats.multilevel import fit_lmm
>>> from werkplaats.stats.multilevel.simulate import simulate_growth
>>> m = fit_lmm("y ~ time + (1 | client)", simulate_growth(500, seed=1))
>>> m.fixef.index.tolist()
['(Intercept)', 'time']

See ``docs/multilevel.md`` for the model, the algorithm and how to read the
summary.
"""

from .errors import (
    DesignTooLargeError,
    EmptyDataError,
    FormulaError,
    MissingColumnError,
    MultilevelError,
    MultilevelWarning,
    NonNumericResponseError,
    TooFewLevelsError,
    TooManyParametersError,
)
from .formula import parse_formula
from .model import LmmResult, fit_lmm

__all__ = [
    "fit_lmm",
    "LmmResult",
    "parse_formula",
    "MultilevelError",
    "FormulaError",
    "MissingColumnError",
    "NonNumericResponseError",
    "EmptyDataError",
    "TooFewLevelsError",
    "TooManyParametersError",
    "DesignTooLargeError",
    "MultilevelWarning",
]
