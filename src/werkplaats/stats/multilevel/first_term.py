"""Elimination of the first (largest) random-effects term, batched over its levels.

Part of :class:`werkplaats.stats.multilevel.engine.Engine` (a mixin): the first term
is where the work scales with the data, so its diagonal blocks are inverted with
vectorised operations on component-major arrays, and its effect on the later blocks is
computed from index lists ("triples") found once at set-up.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .blocks import ReBlock, _block_diag_sparse, _cm_inv_logdet, _cm_LtAL

# Largest number of (first-term level, slot) products held for the fill plan of a
# dense crossed remainder (about 20 bytes each); larger fills use sparse products.
FILL_PLAN_MAX = 20_000_000


class FirstTerm:
    """Set-up and numeric elimination of term 0 (mixed into ``Engine``)."""

    blocks: list[ReBlock]
    K: int
    p: int
    pairs: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]]
    A0: np.ndarray
    E00: np.ndarray
    first_rows: dict[int, np.ndarray]
    first_data: dict[int, np.ndarray]
    first_identity: dict[int, bool]
    first_tpl: dict[int, sp.csr_matrix]
    first_csr: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]]
    triples: dict[tuple[int, int], tuple[np.ndarray | None, np.ndarray | None] | None]
    n_batched: int
    sparse: bool
    plan_keys: set[tuple[int, int]]
    plan_S: sp.csr_matrix | None
    plan_pa: np.ndarray
    plan_pb: np.ndarray
    plan_block_a: np.ndarray
    plan_perm: np.ndarray
    plan_segments: list[tuple[int, int, int, int]]
    plan_block_b: np.ndarray
    plan_pos: np.ndarray
    dense_offsets: dict[int, int]
    dense_order: int
    first_nested: bool
    first_starts: dict[int, np.ndarray]
    first_gather: dict[int, np.ndarray | None]
    first_pair_of: dict[int, np.ndarray]
    first_level_of: dict[int, np.ndarray]
    first_raw: dict[int, np.ndarray]
    _first_alias_map: dict[int, int]

    def _setup_first(self) -> None:
        """Index structures for eliminating the first (largest) term.

        The first term is where the work scales with the data, so it is
        eliminated with vectorised operations on component-major arrays
        (one contiguous vector of length q per matrix entry) instead of
        sparse products.  For each pair of later terms (a, b) the "triples"
        list the pairs of nonzero blocks B(a, 0)[p_a] and B(b, 0)[p_b] that
        share a level of the first term; their products are the fill-in.
        """
        b0 = self.blocks[0]
        self.first_rows: dict[int, np.ndarray] = {}
        self.first_data: dict[int, np.ndarray] = {}
        self.first_identity: dict[int, bool] = {}
        self.first_tpl: dict[int, sp.csr_matrix] = {}
        self.first_csr: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]] = {}
        order: dict[int, np.ndarray] = {}
        starts: dict[int, np.ndarray] = {}
        counts: dict[int, np.ndarray] = {}
        for j in range(1, self.K):
            cols, indptr, data = self.pairs[(j, 0)]
            self.first_rows[j] = np.repeat(np.arange(self.blocks[j].q), np.diff(indptr))
            # Nested in term j with levels renumbered: pair p is level p of
            # term 0, so gathers by ``cols`` are the identity and are skipped.
            self.first_identity[j] = cols.size == b0.q and np.array_equal(cols, np.arange(b0.q))
            # CSR layout of B(j, 0) and the map from the component-major data
            # (s, t, pair) to CSR slots, so each evaluation fills it in one take.
            dj, npairs = self.blocks[j].d, cols.size
            s_, t_, p_ = np.meshgrid(
                np.arange(dj), np.arange(b0.d), np.arange(npairs), indexing="ij"
            )
            ids = (s_ * b0.d + t_) * npairs + p_
            coo = sp.coo_matrix(
                (
                    ids.ravel() + 1.0,
                    ((self.first_rows[j][p_] * dj + s_).ravel(), (cols[p_] * b0.d + t_).ravel()),
                ),
                shape=(self.blocks[j].q * dj, b0.q * b0.d),
            )
            csr = coo.tocsr()
            self.first_csr[j] = (csr.data.astype(np.int64) - 1, csr.indices, csr.indptr, csr.shape)
            # A template whose data array is replaced at each evaluation:
            # building a new csr_matrix re-validates the whole structure.
            self.first_tpl[j] = csr.copy()
            order[j] = np.argsort(cols, kind="stable")
            counts[j] = np.bincount(cols, minlength=b0.q)
            starts[j] = np.concatenate([[0], np.cumsum(counts[j])[:-1]])
        self.triples: dict[tuple[int, int], tuple[np.ndarray | None, np.ndarray | None] | None] = {}
        for a in range(1, self.K):
            for b in range(1, a + 1):
                ca, cb = counts[a], counts[b]
                nc = ca * cb
                total = int(nc.sum())
                if total > 4 * max(1, self.first_rows[a].size, self.first_rows[b].size):
                    # Crossed with the first term: many level pairs share a
                    # first-term level; a sparse product is cheaper than
                    # listing them all (and needs no memory for the list).
                    self.triples[(a, b)] = None
                    continue
                c_of = np.repeat(np.arange(b0.q), nc)
                within = np.arange(total) - np.repeat(np.cumsum(nc) - nc, nc)
                ia = within // cb[c_of]
                ib = within % cb[c_of]
                pa = order[a][starts[a][c_of] + ia]
                pb = order[b][starts[b][c_of] + ib]
                # In a nested design both lists are 0, 1, 2, ...: mark them so
                # that no gather is done at all (None means "identity").
                ar = np.arange(total)
                self.triples[(a, b)] = (
                    None if np.array_equal(pa, ar) else pa,
                    None if np.array_equal(pb, ar) else pb,
                )
        # Every later term nests the first (growth: a client has one professional
        # and one team): then B(j, 0) has one entry per first-term level, in the
        # order of j's levels, and the nested path below applies.
        self.first_nested = all(
            bool(np.all(counts[j] == 1)) and bool(np.all(np.diff(self.pairs[(j, 0)][1]) > 0))
            for j in range(1, self.K)
        )
        # Per later term j: where its levels' first-term levels start in the pair
        # order, the first-term level of each pair (None: the identity), the pair
        # of each first-term level and the level of j of each first-term level.
        self.first_starts = {j: self.pairs[(j, 0)][1][:-1] for j in range(1, self.K)}
        self.first_gather = {
            j: None if self.first_identity[j] else self.pairs[(j, 0)][0] for j in range(1, self.K)
        }
        self.first_pair_of = order if self.first_nested else {}
        self.first_level_of = (
            {j: self.first_rows[j][order[j]] for j in range(1, self.K)} if self.first_nested else {}
        )
        self._setup_fill_plan(order, starts, counts)

    def _setup_fill_plan(
        self,
        order: dict[int, np.ndarray],
        starts: dict[int, np.ndarray],
        counts: dict[int, np.ndarray],
    ) -> None:
        """A fixed plan for the fill of the dense crossed remainder by the first term.

        For scalar terms (``(1 | g)``, as InstEval's lecturers crossed with its
        students) the fill of block (a, b) is

            F_ab[r, s] = la lb l0^2 sum_c raw_a[r, c] raw_b[s, c] / D0_c,

        a fixed sparse matrix S (one row per lower-triangle slot of the dense
        remainder, one column per first-term level c) times the vector of the
        first term's inverse diagonal, 1/D0.  The slots, S's pattern and the
        position of each slot in the dense matrix are found once here, S's
        values whenever the cross-products are (re)filled; an evaluation is then
        one sparse matrix-vector product instead of sparse matrix products that
        build and sort the fill pattern again each time.
        """
        self.plan_keys = set()
        self.plan_S = None
        m, b0 = self.n_batched, self.blocks[0]
        dims = {j: self.blocks[j].q * self.blocks[j].d for j in range(m, self.K)}
        self.dense_offsets = {}
        off = 0
        for j in range(m, self.K):
            self.dense_offsets[j] = off
            off += dims[j]
        self.dense_order = off + self.p + 1
        if self.sparse or b0.d != 1:
            return
        T = self.dense_order
        pa_all, pb_all, pos_all, col_all = [], [], [], []
        self.plan_segments = []
        total = 0
        for a in range(max(m, 1), self.K):
            for b in range(max(m, 1), a + 1):
                if self.blocks[a].d != 1 or self.blocks[b].d != 1:
                    continue
                n_tri = int((counts[a] * counts[b]).sum())
                if total + n_tri > FILL_PLAN_MAX:
                    continue
                # Every entry of B(a, 0) (sorted by first-term level c) with every
                # entry of B(b, 0) in the same c.
                c_a = self.pairs[(a, 0)][0][order[a]]
                rep = counts[b][c_a]
                pa = np.repeat(order[a], rep)
                c_of = np.repeat(c_a, rep)
                within = np.arange(n_tri) - np.repeat(np.cumsum(rep) - rep, rep)
                pb = order[b][np.repeat(starts[b][c_a], rep) + within]
                del within, rep
                ra, rb = self.first_rows[a][pa], self.first_rows[b][pb]
                if a == b:  # the lower triangle is enough for a lower Cholesky factor
                    low = ra >= rb
                    pa, pb, ra, rb, c_of = pa[low], pb[low], ra[low], rb[low], c_of[low]
                # Position in the dense remainder, column-major (Fortran order).
                pos = (self.dense_offsets[b] + rb) * np.int64(T) + self.dense_offsets[a] + ra
                pa_all.append(pa)
                pb_all.append(pb)
                pos_all.append(pos)
                col_all.append(c_of)
                self.plan_segments.append((a, b, total, total + pa.size))
                total += pa.size
                self.plan_keys.add((a, b))
        if not self.plan_keys:
            return
        self.plan_pa = np.concatenate(pa_all)
        self.plan_pb = np.concatenate(pb_all)
        pos = np.concatenate(pos_all)
        c_of = np.concatenate(col_all)
        del pa_all, pb_all, pos_all, col_all
        # Rows of S are the distinct slots (a lookup table instead of a sort when
        # the dense remainder is small enough).
        if T * T <= 50_000_000:
            mark = np.zeros(T * T, dtype=bool)
            mark[pos] = True
            slots = np.flatnonzero(mark)
            del mark
            lookup = np.empty(T * T, dtype=np.int32)
            lookup[slots] = np.arange(slots.size, dtype=np.int32)
            slot_of = lookup[pos]
            del lookup
        else:
            slots, slot_of = np.unique(pos, return_inverse=True)
        self.plan_pos = slots
        # S in CSR form; the ids 1..N of the entries ride along as values to
        # give the order in which the triples' products fill S's data.
        coo = sp.coo_matrix(
            (np.arange(1, total + 1, dtype=float), (slot_of, c_of)), shape=(slots.size, b0.q)
        )
        self.plan_S = coo.tocsr()
        self.plan_perm = self.plan_S.data.astype(np.int64) - 1
        del coo, slot_of, c_of, pos
        # The block of each slot, for the scale la lb l0^2 of each evaluation.
        offs = np.array([self.dense_offsets[j] for j in range(m, self.K)])
        self.plan_block_a = np.searchsorted(offs, slots % np.int64(T), side="right") + (m - 1)
        self.plan_block_b = np.searchsorted(offs, slots // np.int64(T), side="right") + (m - 1)

    def _fill_plan_values(self) -> None:
        """S's values from the current cross-products (the products raw_a raw_b of each triple)."""
        if self.plan_S is None:
            return
        data = np.empty(self.plan_pa.size)
        for a, b, lo, hi in self.plan_segments:
            va, vb = self.first_data[a][0, 0], self.first_data[b][0, 0]
            data[lo:hi] = va[self.plan_pa[lo:hi]] * vb[self.plan_pb[lo:hi]]
        self.plan_S.data = data[self.plan_perm]

    def _apply_fill_plan(self, M: np.ndarray, lam: list[np.ndarray], dinv0: np.ndarray) -> None:
        """Subtract the planned fill from the dense remainder ``M`` (Fortran order)."""
        if self.plan_S is None:
            return
        vals = self.plan_S @ dinv0
        l0sq = float(lam[0][0, 0]) ** 2
        scale = np.array([float(L[0, 0]) if L.shape[0] == 1 else np.nan for L in lam])
        vals *= scale[self.plan_block_a] * scale[self.plan_block_b] * l0sq
        flat = M.reshape(-1, order="F")
        flat[self.plan_pos] -= vals

    def _eliminate_first(
        self,
        lam: list[np.ndarray],
        FF: np.ndarray,
        keep: bool,
        rec: dict[str, Any] | None = None,
    ) -> tuple[float, Any, dict[tuple[int, int], Any], tuple[Any, ...] | None, np.ndarray]:
        """Eliminate term 0; returns its pieces, the updates of later blocks and 1/D0 (scalar term 0)."""
        if self.first_nested and not keep:
            return self._eliminate_first_nested(lam, FF, rec)
        b0 = self.blocks[0]
        q0, d0, p1 = b0.q, b0.d, self.p + 1
        L0 = lam[0]
        D0 = _cm_LtAL(L0, self.A0)
        for i in range(d0):
            D0[i, i] += 1.0
        Dinv, logdet = _cm_inv_logdet(D0)
        # E0s = L0' Z0'F  (d0, p+1, q0)
        # In place, without a temporary per term: these (p+1) x q0 arrays are
        # most of an evaluation's memory traffic.
        E0s = np.empty_like(self.E00)
        tmp = np.empty_like(self.E00[0])
        for i in range(d0):
            np.multiply(self.E00[i], L0[i, i], out=E0s[i])
            for j in range(i + 1, d0):
                if L0[j, i] != 0.0:
                    np.multiply(self.E00[j], L0[j, i], out=tmp)
                    E0s[i] += tmp
        W = np.empty_like(E0s)
        for i in range(d0):
            np.multiply(E0s[0], Dinv[i, 0], out=W[i])
            for j in range(1, d0):
                np.multiply(E0s[j], Dinv[i, j], out=tmp)
                W[i] += tmp
        for i in range(d0):
            FF -= E0s[i] @ W[i].T
        Bd: dict[int, np.ndarray] = {}
        Bcsr: dict[int, sp.csr_matrix] = {}
        Wflat: np.ndarray | None = None
        G: dict[int, np.ndarray] = {}
        e_upd: dict[int, np.ndarray] = {}
        for j in range(1, self.K):
            cols = self.pairs[(j, 0)][0]
            Lj = lam[j]
            dj = Lj.shape[0]
            raw = self.first_data[j]
            # B(j,0) = Lj' raw L0, component-major (dj, d0, npairs).
            T = [
                [sum(raw[s, u] * L0[u, t] for u in range(t, d0)) for t in range(d0)]
                for s in range(dj)
            ]
            Bj = np.empty_like(raw)
            for s in range(dj):
                for t in range(d0):
                    Bj[s, t] = sum(Lj[r, s] * T[r][t] for r in range(s, dj))
            Bd[j] = Bj
            if self.first_identity[j]:
                Dc = [[Dinv[u, t] for t in range(d0)] for u in range(d0)]
            else:
                Dc = [[Dinv[u, t][cols] for t in range(d0)] for u in range(d0)]
            Gj = np.empty_like(Bj)
            for s in range(dj):
                for t in range(d0):
                    Gj[s, t] = sum(Bj[s, u] * Dc[u][t] for u in range(d0))
            G[j] = Gj
            perm = self.first_csr[j][0]
            tpl = self.first_tpl[j]
            tpl.data = Bj.ravel()[perm]
            Bcsr[j] = tpl.copy() if keep else tpl
            if Wflat is None:
                Wflat = np.ascontiguousarray(W.transpose(2, 0, 1)).reshape(q0 * d0, p1)
            e_upd[j] = (Bcsr[j] @ Wflat).reshape(self.blocks[j].q, dj, p1)
        fill: dict[tuple[int, int], object] = {}
        Dbd0 = None
        for (a, b), tri in self.triples.items():
            if (a, b) in self.plan_keys:
                continue
            if tri is None:
                if Dbd0 is None:
                    Dbd0 = _block_diag_sparse(np.ascontiguousarray(Dinv.transpose(2, 0, 1)))
                fill[(a, b)] = (Bcsr[a] @ Dbd0) @ Bcsr[b].T
                continue
            pa, pb = tri
            da, db = lam[a].shape[0], lam[b].shape[0]
            Ga = G[a] if pa is None else G[a][:, :, pa]
            Bb = Bd[b] if pb is None else Bd[b][:, :, pb]
            vals = np.empty((da, db, Ga.shape[2]))
            for s in range(da):
                for t in range(db):
                    vals[s, t] = sum(Ga[s, u] * Bb[t, u] for u in range(d0))
            fill[(a, b)] = (
                self.first_rows[a] if pa is None else self.first_rows[a][pa],
                self.first_rows[b] if pb is None else self.first_rows[b][pb],
                vals,
            )
        kept = None
        if keep:
            kept = (
                np.ascontiguousarray(Dinv.transpose(2, 0, 1)),
                np.ascontiguousarray(E0s.transpose(2, 0, 1)),
                Bcsr,
            )
        return logdet, e_upd, fill, kept, Dinv[0, 0]

    def _first_alias(self) -> dict[int, int]:
        """For each later term j, the first term i <= j whose B(i, 0) cross-products equal B(j, 0)'s.

        In the growth design Z'Z_0 per client is the same for the professional and
        the team (both intercepts), so the products with it are formed once.
        """
        alias: dict[int, int] = {}
        self.first_raw: dict[int, np.ndarray] = {}
        if not self.first_nested:
            return alias
        for j in range(1, self.K):
            # Z_j'Z_0 of each first-term level, in the first term's level order.
            raw = self.first_data[j]
            self.first_raw[j] = raw if self.first_identity[j] else raw[:, :, self.first_pair_of[j]]
            alias[j] = j
            for i in range(1, j):
                if alias[i] == i and self.first_raw[i].shape == self.first_raw[j].shape:
                    if np.array_equal(self.first_raw[i], self.first_raw[j]):
                        alias[j] = i
                        break
        return alias

    def _eliminate_first_nested(
        self, lam: list[np.ndarray], FF: np.ndarray, rec: dict[str, Any] | None = None
    ) -> tuple[float, Any, dict[tuple[int, int], Any], None, np.ndarray]:
        """``_eliminate_first`` when every later term nests the first one (no factor kept).

        With M_c = L0 D_c^-1 L0' (d0 x d0 per level c) and the raw cross-products
        Z_j'Z_0 and Z_0'[X y] of level c:

            [X y] update        sum_c E_c' M_c E_c
            update of B(j, F)   Lj' sum_{c in level r of j} raw_jc M_c E_c
            fill of (a, b)      La' raw_ac M_c raw_bc' Lb      (one per level c)

        so nothing is scaled by Lambda before the products: the (p+1)-column
        arrays are passed over once to form Y_c = M_c E_c, the sums over the
        levels of a nesting term are segment sums (its levels' first-term levels
        are adjacent, or made so by one gather), and products shared by terms
        with equal cross-products
        are formed once.  The same quantities as the general path, in fewer
        passes over the first term's arrays.  ``rec`` (see ``Engine.factor``)
        receives D_c^-1 and M_c, component-major.
        """
        b0 = self.blocks[0]
        q0, d0, p1 = b0.q, b0.d, self.p + 1
        L0 = lam[0]
        D0 = _cm_LtAL(L0, self.A0)
        for i in range(d0):
            D0[i, i] += 1.0
        Dinv, logdet = _cm_inv_logdet(D0)
        # M = L0 Dinv L0' (symmetric; entries M[i][m] for m >= i, mirrored).
        T = [
            [sum(Dinv[j, k] * float(L0[i, j]) for j in range(i + 1)) for k in range(d0)]
            for i in range(d0)
        ]
        M: list[list[Any]] = [[None] * d0 for _ in range(d0)]
        for i in range(d0):
            for m in range(i, d0):
                M[i][m] = sum(T[i][k] * float(L0[m, k]) for k in range(m + 1))
                M[m][i] = M[i][m]
        # Y_c = M_c E_c, component-major (d0, p+1, q0); FF -= sum_s E[s] Y[s]'.
        E00 = self.E00
        Y = np.empty_like(E00)
        tmp = np.empty_like(E00[0]) if d0 > 1 else None
        for s in range(d0):
            np.multiply(E00[0], M[s][0], out=Y[s])
            for t in range(1, d0):
                np.multiply(E00[t], M[s][t], out=tmp)
                Y[s] += tmp
            FF -= E00[s] @ Y[s].T
        alias = self._first_alias_map
        P: dict[int, np.ndarray] = {}
        e_upd: dict[int, np.ndarray] = {}
        for j in range(1, self.K):
            Lj = lam[j]
            dj = Lj.shape[0]
            r = alias[j]
            if r not in P:
                raw = self.first_raw[r]
                Pr = np.empty((dj, p1, q0))
                for s in range(dj):
                    np.multiply(Y[0], raw[s, 0], out=Pr[s])
                    for t in range(1, d0):
                        Pr[s] += Y[t] * raw[s, t]
                P[r] = Pr
            gather = self.first_gather[j]
            Pj = P[r] if gather is None else P[r][:, :, gather]  # in the order of j's levels
            agg = np.add.reduceat(Pj, self.first_starts[j], axis=2)  # (dj, p+1, q_j)
            if dj == 1:
                e_upd[j] = (agg[0].T * float(Lj[0, 0]))[:, None, :]
            else:
                e_upd[j] = np.einsum("rs,rpq->qsp", Lj, agg)
        # Fill La' raw_a M raw_b' Lb per first-term level, shared by equal raws.
        R: dict[int, list[list[np.ndarray]]] = {}
        V: dict[tuple[int, int], list[list[np.ndarray]]] = {}
        fill: dict[tuple[int, int], object] = {}
        for a, b in self.triples:
            if (a, b) in self.plan_keys:
                continue
            ra, rb = alias[a], alias[b]
            raw_a, raw_b = self.first_raw[ra], self.first_raw[rb]
            da, db = raw_a.shape[0], raw_b.shape[0]
            if ra not in R:
                R[ra] = [
                    [sum(raw_a[s, u] * M[u][v] for u in range(d0)) for v in range(d0)]
                    for s in range(da)
                ]
            if (ra, rb) not in V:
                V[(ra, rb)] = [
                    [sum(R[ra][s][v] * raw_b[t, v] for v in range(d0)) for t in range(db)]
                    for s in range(da)
                ]
            Vr = V[(ra, rb)]
            La, Lb = lam[a], lam[b]
            vals = np.empty((da, db, q0))
            for s in range(da):
                for t in range(db):
                    vals[s, t] = sum(
                        Vr[s2][t2] * float(La[s2, s] * Lb[t2, t])
                        for s2 in range(s, da)
                        for t2 in range(t, db)
                    )
            fill[(a, b)] = (self.first_level_of[a], self.first_level_of[b], vals)
        if rec is not None:
            rec["dinv0"], rec["m0"] = Dinv, M
        return logdet, e_upd, fill, None, Dinv[0, 0]
