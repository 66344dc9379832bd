"""A chain of scalar nested terms after the first (professionals in teams), eliminated
by ``bincount`` on its levels' arrays instead of sparse matrix products (mixed into
``Engine``; the general path is ``Engine.factor``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .blocks import Factorization, ReBlock, _factor_with_y


class NestedChain:
    """Set-up and numeric elimination of a scalar nested chain (mixed into ``Engine``)."""

    blocks: list[ReBlock]
    K: int
    p: int
    pairs: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]]
    n_batched: int
    sparse: bool
    _fill_slot: dict[tuple[int, int], np.ndarray]
    _chain: dict[str, dict[tuple[int, ...], np.ndarray]] | None

    def _setup_chain(self) -> dict[str, dict[tuple[int, ...], np.ndarray]] | None:
        """Index lists for a chain of scalar nested terms after the first (professional in team).

        Applies when every term after the first is a scalar term eliminated in
        batches (no dense random-effects remainder), each is nested in every later
        one (one entry of B(j, k) per level of k), and every fill lands in a
        pattern that is there already.  Then term k's elimination is a handful of
        ``bincount`` calls on arrays of its levels instead of sparse matrix
        products (see ``_factor_chain``).  ``None`` when it does not apply.
        """
        K = self.K
        if K < 2 or self.n_batched != K or self.sparse:
            return None
        if any(self.blocks[k].d != 1 for k in range(1, K)):
            return None
        if any((j, i) not in self._fill_slot for (j, i) in self.pairs if i >= 1):
            return None
        pos: dict[tuple[int, ...], np.ndarray] = {}
        row: dict[tuple[int, ...], np.ndarray] = {}
        slot: dict[tuple[int, ...], np.ndarray] = {}
        for k in range(1, K):
            qk = self.blocks[k].q
            for j in range(k + 1, K):
                cols, indptr, _data = self.pairs[(j, k)]
                if cols.size != qk or not np.all(np.bincount(cols, minlength=qk) == 1):
                    return None
                order = np.argsort(cols, kind="stable")  # the entry of each level of k
                pos[(j, k)] = order
                rows = np.repeat(np.arange(self.blocks[j].q, dtype=np.int64), np.diff(indptr))
                row[(j, k)] = rows[order]
            for a in range(k + 1, K):
                for b in range(k + 1, a):
                    cols, indptr, _data = self.pairs[(a, b)]
                    qb = np.int64(self.blocks[b].q)
                    rows = np.repeat(np.arange(self.blocks[a].q, dtype=np.int64), np.diff(indptr))
                    keys = rows * qb + cols
                    want = row[(a, k)] * qb + row[(b, k)]
                    at = np.minimum(np.searchsorted(keys, want), keys.size - 1)
                    if keys.size == 0 or not np.array_equal(keys[at], want):
                        return None
                    slot[(a, b, k)] = at
        return {"pos": pos, "row": row, "slot": slot}

    def _factor_chain(
        self,
        lam: list[np.ndarray],
        D: list[np.ndarray],
        E: list[np.ndarray],
        FF: np.ndarray,
        fill: dict[tuple[int, int], Any],
        logdet_re: float,
        rec: dict[str, Any] | None = None,
    ) -> Factorization | None:
        """``factor`` (no factor kept) for a scalar nested chain after the first term.

        The same elimination as the general path: for term k with diagonal d_k,
        [X y] loses E_k' E_k / d_k, a later term j's E_j loses the sum over k's
        levels in each level of j of B(j, k) E_k / d_k, and the blocks of later
        terms lose B(a, k) B(b, k) / d_k, summed into their diagonals or their
        (fixed) patterns.  ``rec`` (see ``Engine.factor``) receives, per term k,
        its pivots d_k, its E_k and its entries b_jk in the later terms at the time
        it is eliminated, and the final factor of [X y].
        """
        chain = self._chain
        if chain is None:  # guarded by the caller
            raise RuntimeError("no chain set up")
        pos, row, slot = chain["pos"], chain["row"], chain["slot"]
        K, p = self.K, self.p
        vals: dict[tuple[int, int], np.ndarray] = {}
        for (j, i), (cols, _indptr, data) in self.pairs.items():
            if i == 0:
                continue
            v = data[:, 0, 0] * float(lam[j][0, 0] * lam[i][0, 0])
            fji = fill.get((j, i))
            if fji is not None:
                v -= np.bincount(self._fill_slot[(j, i)], weights=fji[2][0, 0], minlength=cols.size)
            vals[(j, i)] = v
        logdet = logdet_re
        for k in range(1, K):
            dk = D[k][:, 0, 0]
            if not np.all(dk > 0):
                return None
            logdet += float(np.sum(np.log(dk)))
            ek = E[k][:, 0, :]
            W = ek / dk[:, None]
            FF -= ek.T @ W
            bk = {j: vals[(j, k)][pos[(j, k)]] for j in range(k + 1, K)}
            if rec is not None:
                rec.setdefault("chain", []).append((dk.copy(), ek.copy(), bk))
            for j in range(k + 1, K):
                qj = self.blocks[j].q
                BW = W * bk[j][:, None]
                Ej = E[j][:, 0, :]
                for c in range(p + 1):
                    Ej[:, c] -= np.bincount(row[(j, k)], weights=BW[:, c], minlength=qj)
            for a in range(k + 1, K):
                ga = bk[a] / dk
                for b in range(k + 1, a + 1):
                    g = ga * bk[b]
                    if a == b:
                        D[a][:, 0, 0] -= np.bincount(
                            row[(a, k)], weights=g, minlength=self.blocks[a].q
                        )
                    else:
                        vals[(a, b)] -= np.bincount(
                            slot[(a, b, k)], weights=g, minlength=vals[(a, b)].size
                        )
        cf = _factor_with_y(FF)
        if cf is None:
            return None
        diag = np.diagonal(cf)
        if rec is not None:
            rec.setdefault("chain", [])
            rec["ff"] = cf
        logdet_x = 2.0 * float(np.sum(np.log(diag[:p])))
        pwrss = float(diag[-1] ** 2)
        return Factorization(logdet, logdet_x, pwrss, [], [], [], None, 0, rx=cf[:p, :p])
