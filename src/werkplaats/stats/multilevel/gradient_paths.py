"""The exact gradient of the profiled criterion: which path applies to an engine's
structure, and the dispatch to it (a mixin of :class:`.engine.Engine`, as
:class:`.first_term.FirstTerm` and :class:`.nested_chain.NestedChain` are)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

from . import crossed_gradient, nested_gradient
from .crossed_gradient import CrossedGradient

if TYPE_CHECKING:
    from .engine import Engine


class GradientPaths:
    """Mixin: ``has_gradient``, ``objective_gradient`` and the crossed path's plan."""

    _gradient_path: str | None
    _crossed: list[CrossedGradient | None]

    def has_gradient(self) -> bool:
        """True when :meth:`objective_gradient` gives the exact gradient for this structure."""
        return self._gradient_path is not None

    def objective_gradient(self, theta: np.ndarray, reml: bool) -> tuple[float, np.ndarray] | None:
        """The criterion of :meth:`objective` and its exact gradient in theta, or ``None``.

        ``None`` when no path of this structure has an analytic gradient; the
        optimiser then uses the criterion alone (``fit.py``).  Dispatches on
        ``_gradient_path``, decided once in ``_setup_gradient``:

        * ``"nested"``: a first term nested in every later term, which form a scalar
          nested chain (the growth design; nested_gradient.py).
        * ``"crossed"``: a scalar first term and scalar crossed terms in the dense
          remainder, filled by the fill plan (InstEval; crossed_gradient.py).

        A path plugs in with a module of its own holding ``applies(engine) -> bool``
        and a function ``(engine, theta, reml) -> (criterion, gradient)`` (the
        criterion equal to :meth:`objective`'s; ``(inf, nan...)`` where the
        factorisation fails), one test in ``_setup_gradient`` and one branch here.
        """
        path = self._gradient_path
        if path == "nested":
            return nested_gradient.nested_objective_gradient(self._engine(), theta, reml)
        if path == "crossed":
            return crossed_gradient.crossed_objective_gradient(self._engine(), theta, reml)
        return None

    def _setup_gradient(self) -> str | None:
        """The path whose analytic gradient applies to this structure (see objective_gradient)."""
        if nested_gradient.applies(self._engine()):
            return "nested"
        if crossed_gradient.applies(self._engine()):
            return "crossed"
        return None

    def crossed_gradient_plan(self) -> CrossedGradient | None:
        """The exact gradient of the crossed path (built once), or ``None`` for other structures."""
        if not self._crossed:
            self._crossed.append(CrossedGradient.build(self._engine()))
        return self._crossed[0]

    def _engine(self) -> Engine:
        return cast("Engine", self)  # the mixin is only ever part of an Engine
