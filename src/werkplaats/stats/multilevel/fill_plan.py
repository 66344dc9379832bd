"""The fill plan of a dense crossed remainder (InstEval): the products that eliminating a
scalar first term adds to the remainder, listed once at set-up as a sparse matrix S (one
row per lower-triangle entry that receives fill, one column per first-term level), so an
evaluation is S times 1/D and one scatter (see docs/multilevel.md, "Crossed factors").
A mixin of :class:`.first_term.FirstTerm`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .blocks import ReBlock

# Largest number of (first-term level, slot) products held for the fill plan of a
# dense crossed remainder (about 20 bytes each); larger fills use sparse products.
FILL_PLAN_MAX = 20_000_000


class FillPlan:
    """Set-up and use of the fill plan (mixed into ``FirstTerm``)."""

    blocks: list[ReBlock]
    K: int
    p: int
    n_batched: int
    sparse: bool
    pairs: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]]
    first_rows: dict[int, np.ndarray]
    first_data: dict[int, np.ndarray]
    plan_keys: set[tuple[int, int]]
    plan_S: sp.csr_matrix | None
    plan_pa: np.ndarray
    plan_pb: np.ndarray
    plan_block_a: np.ndarray
    plan_perm: np.ndarray
    plan_segments: list[tuple[int, int, int, int]]
    plan_block_b: np.ndarray
    plan_pos: np.ndarray

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
