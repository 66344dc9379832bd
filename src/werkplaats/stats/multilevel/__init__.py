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
    ConstantResponseError,
    DesignTooLargeError,
    EmptyDataError,
    FormulaError,
    InfiniteValueError,
    InvalidResponseError,
    MissingColumnError,
    MultilevelError,
    MultilevelWarning,
    NonNumericResponseError,
    TooFewLevelsError,
    TooManyParametersError,
)
from .fit import fit_lmm
from .formula import parse_formula
from .glmm import fit_glmm
from .results import GlmmResult, LmmResult

__all__ = [
    "fit_lmm",
    "LmmResult",
    "fit_glmm",
    "GlmmResult",
    "parse_formula",
    "MultilevelError",
    "FormulaError",
    "MissingColumnError",
    "NonNumericResponseError",
    "EmptyDataError",
    "TooFewLevelsError",
    "TooManyParametersError",
    "DesignTooLargeError",
    "InfiniteValueError",
    "ConstantResponseError",
    "InvalidResponseError",
    "MultilevelWarning",
]
