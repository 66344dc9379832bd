"""Errors and warnings raised by the multilevel engine.

Every error is a :class:`ValueError` so that callers that only know about
``ValueError`` still catch them; the subclasses let a caller (or a web form)
say precisely what is wrong with the input.
"""

from __future__ import annotations

__all__ = [
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


class MultilevelError(ValueError):
    """Base class of all input errors of :mod:`werkplaats.stats.multilevel`."""


class FormulaError(MultilevelError):
    """The formula cannot be parsed or uses syntax that is not supported."""


class MissingColumnError(MultilevelError):
    """The formula names a column that is not in the data."""


class NonNumericResponseError(MultilevelError):
    """The response (left of ``~``) is not numeric."""


class EmptyDataError(MultilevelError):
    """No complete rows are left after dropping rows with missing values."""


class TooFewLevelsError(MultilevelError):
    """A grouping factor has fewer than two levels."""


class TooManyParametersError(MultilevelError):
    """A random-effects term has more parameters than the data can support."""


class DesignTooLargeError(MultilevelError):
    """The crossed part of the design is too large for the dense solver."""


class InfiniteValueError(MultilevelError):
    """A variable of the model contains an infinite value (the message names column and rows)."""


class ConstantResponseError(MultilevelError):
    """The response has no variance ("y has no variance")."""


class InvalidResponseError(MultilevelError):
    """The response does not fit the family (e.g. not 0/1 for binomial, negative counts)."""


class MultilevelWarning(UserWarning):
    """Diagnostics worth a user's attention (dropped columns, singular fit...)."""
