"""The allocation planner (pure function) against its documented rule and a brute-force
reference solver on small instances. The rule is the list's priority rule applied after
every package (targets.priority)."""

from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from kolaborasi.funds.planner import NeedTuple, plan_allocation, plan_allocation_reference
from kolaborasi.targets.priority import priority_key

needs_st = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 8)),  # (quantity, held)
    min_size=1,
    max_size=5,
).map(lambda rows: [(i + 1, q, h) for i, (q, h) in enumerate(rows)])


def _remaining(q: int, h: int) -> int:
    return max(q - h, 0)


Key = tuple[Fraction, int, int]


def _key(q: int, h: int, nid: int) -> Key:
    """The priority rule's key of one need, with exact fractions for coverage."""
    remaining = _remaining(q, h)
    return (Fraction(h, q) if remaining > 0 else Fraction(1), -remaining, nid)


def brute_force(needs: list[NeedTuple], stock: int, min_drop: int) -> tuple[int, list[Key]]:
    """Reference: every feasible split (0 or min(min_drop, remaining)..remaining per need,
    total <= stock); best = most packages used, then the lexicographically largest sorted
    vector of the needs' priority keys (coverage, -remaining, id) after the split: the
    worst-ranked need as well served as possible, then the next, ..."""
    options = []
    for _nid, q, h in needs:
        r = _remaining(q, h)
        low = min(min_drop, r)
        options.append([0, *range(max(low, 1), r + 1)] if q > 0 and r > 0 else [0])
    best: tuple[int, list[Key]] | None = None
    for xs in itertools.product(*options):
        used = sum(xs)
        if used > stock:
            continue
        cov = sorted(_key(q, h + x, n) for (n, q, h), x in zip(needs, xs, strict=True) if q > 0)
        if best is None or (used, cov) > best:
            best = (used, cov)
    assert best is not None
    return best


def evaluate(needs: list[NeedTuple], split: dict[int, int]) -> tuple[int, list[Key]]:
    cov = sorted(_key(q, h + split.get(nid, 0), nid) for nid, q, h in needs if q > 0)
    return sum(split.values()), cov


@settings(max_examples=400, deadline=None)
@given(needs=needs_st, stock=st.integers(1, 25), min_drop=st.integers(1, 4))
def test_never_exceeds_remaining_nor_stock_and_respects_min_drop(
    needs: list[NeedTuple], stock: int, min_drop: int
) -> None:
    split = dict(plan_allocation(needs, stock, min_drop))
    by_id = {nid: (q, h) for nid, q, h in needs}
    assert sum(split.values()) <= stock
    for nid, x in split.items():
        q, h = by_id[nid]
        assert 0 < x <= _remaining(q, h)
        assert x >= min(min_drop, _remaining(q, h))


@settings(max_examples=400, deadline=None)
@given(needs=needs_st, stock=st.integers(1, 25), min_drop=st.integers(1, 4))
def test_uses_the_stock_when_need_allows(needs: list[NeedTuple], stock: int, min_drop: int) -> None:
    split = dict(plan_allocation(needs, stock, min_drop))
    total_remaining = sum(_remaining(q, h) for _n, q, h in needs if q > 0)
    used = sum(split.values())
    if total_remaining <= stock:
        assert used == total_remaining  # everything that is needed
    elif min_drop == 1:
        assert used == stock  # the whole stock
    else:
        assert used > stock - min_drop  # documented: fewer than min_drop left over


@settings(max_examples=600, deadline=None)
@given(needs=needs_st, stock=st.integers(1, 14))
def test_matches_brute_force_optimum(needs: list[NeedTuple], stock: int) -> None:
    """With min_drop = 1 the water-filling is optimal for the documented objective."""
    split = dict(plan_allocation(needs, stock, 1))
    assert evaluate(needs, split) == brute_force(needs, stock, 1)


@settings(max_examples=200, deadline=None)
@given(needs=needs_st, stock=st.integers(1, 14), min_drop=st.integers(2, 4))
def test_min_drop_never_beats_brute_force(needs: list[NeedTuple], stock: int, min_drop: int) -> None:
    """With min_drop > 1 the greedy is a heuristic: never better than the optimum (a
    sanity check on the reference) and always feasible."""
    split = dict(plan_allocation(needs, stock, min_drop))
    assert evaluate(needs, split) <= brute_force(needs, stock, min_drop)


def test_deterministic_and_order_independent() -> None:
    needs = [(1, 10, 0), (2, 10, 0), (3, 5, 0), (4, 20, 10)]
    first = plan_allocation(needs, 7, 1)
    assert plan_allocation(list(reversed(needs)), 7, 1) == first
    # Equal coverage everywhere: the larger need (more remaining) first, as the list
    # ranks them, then the lower id.
    assert plan_allocation([(1, 10, 0), (2, 10, 0)], 1, 1) == [(1, 1)]
    assert plan_allocation([(1, 5, 0), (2, 10, 0)], 1, 1) == [(2, 1)]
    assert plan_allocation([(1, 2, 1), (2, 10, 5)], 1, 1) == [(2, 1)]  # both half covered


def test_least_covered_first() -> None:
    # need 2 is half covered already; need 1 is empty: the first packages go to need 1.
    assert plan_allocation([(1, 10, 0), (2, 10, 5)], 5, 1) == [(1, 5)]
    assert plan_allocation([(1, 10, 0), (2, 10, 5)], 7, 1) == [(1, 6), (2, 1)]


def test_large_uniform_instance_uses_whole_stock() -> None:
    needs = [(i, 100, 0) for i in range(1, 20_001)]
    split = plan_allocation(needs, 30_000, 1)
    assert sum(x for _n, x in split) == 30_000
    assert {x for _n, x in split} == {1, 2}


@settings(max_examples=300, deadline=None)
@given(
    needs=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), min_size=1, max_size=30).map(
        lambda rows: [(i + 1, q, h) for i, (q, h) in enumerate(rows)]
    ),
    stock=st.integers(1, 400),
    min_drop=st.integers(1, 6),
)
def test_fast_planner_equals_reference_heap(needs: list[NeedTuple], stock: int, min_drop: int) -> None:
    """The bisection planner hands out exactly what the one-at-a-time heap does."""
    assert plan_allocation(needs, stock, min_drop) == plan_allocation_reference(needs, stock, min_drop)


@settings(max_examples=300, deadline=None)
@given(needs=needs_st, min_drop=st.integers(1, 4))
def test_first_package_goes_to_the_first_by_priority(needs: list[NeedTuple], min_drop: int) -> None:
    """The first drop goes where the list's rule ranks first (targets.priority)."""
    open_needs = [(q, h, nid) for nid, q, h in needs if q > 0 and _remaining(q, h) > 0]
    if not open_needs:
        assert plan_allocation(needs, 1, min_drop) == []
        return
    q, h, first = min(open_needs, key=lambda n: priority_key(*n))
    block = min(min_drop, _remaining(q, h))
    assert plan_allocation(needs, block, min_drop) == [(first, block)]
