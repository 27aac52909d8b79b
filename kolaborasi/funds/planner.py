"""The allocation planner: a fair split of a stock of packages over needs.

Rule: the priority rule (``targets.priority``) applied after every package. Think of
the stock as single packages handed out one at a time; each goes to the need that ranks
first by priority *before* receiving it — lowest coverage (``held / quantity``), then
the most remaining, then the lowest target id. So the first package goes to the list's
first target for the same area and aid type. Details:

- a need never receives more than its remaining (``quantity - held``);
- ``min_drop``: the first drop at a need is a block of ``min(min_drop, remaining)``
  packages (a need smaller than the minimum drop can still be finished off), handed out
  at the need's current rank; a block that no longer fits in the stock left is skipped
  and that need gets nothing;
- the id in each row is the tie-break of the rule: callers pass the *target* id
  (``funds.plans`` does), so the plan breaks ties exactly as the list does; the plan
  does not depend on the order of the rows.

With ``min_drop == 1`` this greedy is optimal for the documented objective: among all
splits that use ``min(stock, total remaining)`` packages, it makes the needs' priority
keys ``(coverage, −remaining, id)`` after the split as large as possible, sorted and
compared lexicographically — the worst-served need by the list's own rule is as well
served as it can be, then the next, and so on (max-min); the tests check it against
brute force. With ``min_drop > 1`` it is a heuristic: it never breaks the rules above
and, when the total remaining is at least the stock, leaves fewer than ``min_drop``
packages unused.

Speed: the greedy is not run package by package. Every unit has a key (coverage before
it), keys are floats ``(held + k - 1) / quantity`` (exact ordering and exact ties for
quantities below 2**26 because IEEE division is correctly rounded), and a binary
search over the bit patterns of the threshold key finds the water level where the
stock runs out; each probe is a few vectorised passes over the arrays.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from kolaborasi.targets.priority import planner_order, priority_key

NeedTuple = tuple[int, int, int]  # (id, quantity, held); the id breaks ties: a target id

_I = npt.NDArray[np.int64]
_F = npt.NDArray[np.float64]


def _count(threshold: float, h: _I, qf: _F, r: _I, d: _I, start: _F) -> _I:
    """Units each need receives when every unit with key <= threshold is handed out."""
    if threshold < 0:
        return np.zeros_like(r)
    k = np.floor(threshold * qf).astype(np.int64) - h + 1
    # One-step corrections where the float product rounded across an integer.
    k -= ((h + k - 1) / qf) > threshold
    k += ((h + k) / qf) <= threshold
    return np.where(start <= threshold, np.clip(k, d, r), 0)


def _bits_to_float(bits: int) -> float:
    return float(np.int64(bits).view(np.float64))


def _water_level(h: _I, qf: _F, r: _I, d: _I, start: _F, stock: int) -> tuple[float, _I, _I]:
    """Smallest float threshold T* with count(T*) >= stock (binary search on its bit
    pattern), with the per-need counts just below T* and at T*.

    Needs whose count is the same at both ends of the bracket are frozen, so the arrays
    shrink as the bracket narrows and the search costs a few full passes, not 62."""
    n = len(r)
    below_all = np.zeros(n, dtype=np.int64)
    at_all = r.copy()
    idx = np.arange(n)
    c_lo = np.zeros(n, dtype=np.int64)
    c_hi = r.copy()
    lo, hi = -1, int(np.float64(1.0).view(np.int64))  # every key is < 1.0
    frozen = 0
    ah, aq, ar, ad, ast = h, qf, r, d, start
    while hi - lo > 1:
        mid = (lo + hi) // 2
        cm = _count(_bits_to_float(mid), ah, aq, ar, ad, ast)
        if frozen + int(cm.sum()) >= stock:
            hi, c_hi = mid, cm
        else:
            lo, c_lo = mid, cm
        if len(cm) and hi - lo > 1:
            # Jump to the smallest key above lo: resolves big ties (many needs at the
            # same coverage, e.g. all empty) in one probe instead of ~60 halvings.
            nxt = np.where(c_lo == 0, ast, (ah + c_lo) / aq)
            nxt = nxt[c_lo < ar]
            if len(nxt):
                jump = int(np.float64(nxt.min()).view(np.int64))
                if lo < jump < hi:
                    cj = _count(_bits_to_float(jump), ah, aq, ar, ad, ast)
                    if frozen + int(cj.sum()) >= stock:
                        hi, c_hi = jump, cj
                        lo = jump - 1  # nothing has a key strictly between lo and jump
                    else:
                        lo, c_lo = jump, cj
        still = c_lo != c_hi
        if not still.all():
            done = ~still
            below_all[idx[done]] = c_lo[done]
            at_all[idx[done]] = c_lo[done]
            frozen += int(c_lo[done].sum())
            idx, c_lo, c_hi = idx[still], c_lo[still], c_hi[still]
            ah, aq, ar, ad, ast = ah[still], aq[still], ar[still], ad[still], ast[still]
    below_all[idx] = c_lo
    at_all[idx] = c_hi
    return _bits_to_float(hi), below_all, at_all


def _fill(h: _I, q: _I, r: _I, d: _I, stock: int) -> _I:
    """Greedy over the arrays (already in tie order); returns units per need."""
    x = np.zeros_like(r)
    active = r > 0
    while stock > 0:
        # A block larger than the stock left can never fit again: skip that need.
        active &= ~((x == 0) & (d > stock))
        active &= x < r
        if not active.any():
            break
        idx = np.flatnonzero(active)
        hh, qq, rr = h[idx] + x[idx], q[idx], r[idx] - x[idx]
        dd = np.where(x[idx] > 0, 1, d[idx])
        if int(rr.sum()) <= stock:
            x[idx] += rr
            stock -= int(rr.sum())
            break
        qf = qq.astype(np.float64)
        _t, below, at = _water_level(hh, qf, rr, dd, hh / qf, stock)
        x[idx] += below
        stock -= int(below.sum())
        # Items whose key is exactly T*: hand them out in tie order while they fit.
        tie = np.flatnonzero(at > below)
        weights = (at - below)[tie]
        fits = np.cumsum(weights) <= stock
        n_ok = int(np.argmin(fits)) if not fits.all() else len(tie)
        x[idx[tie[:n_ok]]] += weights[:n_ok]
        stock -= int(weights[:n_ok].sum())
        for j, w in zip(tie[n_ok:].tolist(), weights[n_ok:].tolist(), strict=True):
            if stock == 0:
                break
            if w <= stock:
                x[idx[j]] += w
                stock -= w
            # else: a block that does not fit; excluded at the top of the next round.
        # The loop continues with what is left above the water level.
    return x


def plan_allocation(needs: Sequence[NeedTuple] | _I, stock: int, min_drop: int = 1) -> list[tuple[int, int]]:
    """Split ``stock`` packages over ``needs`` ``(id, quantity, held)``: tuples, or an
    ``(n, 3)`` integer array (columns of what ``funds.selectors.plan_needs`` reads, no
    per-row Python objects). The id is the rule's last tie-break: pass target ids.

    Returns ``[(id, units)]`` for the needs that receive something, ordered by id.
    Pure: no database, so it can be benchmarked and property-tested directly.
    """
    if stock <= 0 or len(needs) == 0:
        return []
    min_drop = max(1, int(min_drop))
    if isinstance(needs, np.ndarray):
        arr = needs.astype(np.int64, copy=False).reshape(-1, 3)
    else:
        flat = (v for row in needs for v in row)
        arr = np.fromiter(flat, dtype=np.int64, count=3 * len(needs)).reshape(-1, 3)
    ids, q, held = arr[:, 0], arr[:, 1], arr[:, 2]
    r = np.maximum(q - held, 0)
    keep = (q > 0) & (r > 0)
    ids, q, held, r = ids[keep], q[keep], held[keep], r[keep]
    if len(ids) == 0:
        return []
    # Tie order between needs at the same coverage: the priority rule's (more remaining,
    # i.e. larger need at equal coverage, then lower id).
    order = planner_order(q, ids)
    ids, q, held, r = ids[order], q[order], held[order], r[order]
    d = np.minimum(r, min_drop)
    x = _fill(held, q, r, d, int(stock))
    given = np.flatnonzero(x > 0)
    result = sorted(zip(ids[given].tolist(), x[given].tolist(), strict=True))
    return [(int(a), int(b)) for a, b in result]


def plan_allocation_reference(
    needs: Sequence[NeedTuple], stock: int, min_drop: int = 1
) -> list[tuple[int, int]]:
    """The same rule, written the obvious way: a heap keyed by the priority rule itself
    (``priority_key`` of the need as it stands before the next unit), one package (or
    first block) at a time. O(stock · log n): the reference the tests check
    ``plan_allocation`` against, exactly."""
    min_drop = max(1, int(min_drop))
    heap: list[tuple[tuple[float, int, int], int, int, int, int]] = []  # (key, q, id, held, rem)
    for need_id, q, h in needs:
        r = max(q - h, 0)
        if q > 0 and r > 0:
            heap.append((priority_key(q, h, need_id), q, need_id, h, r))
    heapq.heapify(heap)
    given: dict[int, int] = {}
    while stock > 0 and heap:
        _key, q, need_id, h, r = heapq.heappop(heap)
        x = given.get(need_id, 0)
        step = 1 if x > 0 else min(min_drop, r)
        if step > stock:
            continue  # a first block that no longer fits: this need gets nothing
        given[need_id] = x + step
        stock -= step
        if x + step < r:
            heapq.heappush(heap, (priority_key(q, h + x + step, need_id), q, need_id, h, r))
    return sorted(given.items())
