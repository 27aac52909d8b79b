"""The priority rule: the one order in which targets are served.

The list (``/daftar/`` and ``GET /api/v1/targets``), the map (an area's top targets),
the finder and the allocation planner all rank by this rule, written here once in the
three forms its callers need:

* ``PRIORITY`` — the order as ``Need`` fields, for querysets (``targets.selectors``
  wraps it in ``priority_order`` / ``priority_needs``);
* ``priority_key`` — the same order as a Python sort key, for rows already in memory
  (the finder's kelurahan and kecamatan groups, the planner's reference solver);
* ``planner_order`` — the same order as an array ordering, for the planner's
  water-filling (``funds.planner``), which ranks every unit of every need at once.

The rule
--------
Priority is always *per aid type*. For a target's need of that aid type:

* ``remaining`` = max(need − held, 0), where ``held`` is the units held by live pledges
  (committed, delivered and confirmed; not the released remainder of cancelled or
  expired pledges);
* ``coverage`` = held ÷ need; a need with nothing remaining (fully covered, over-covered
  after a correction, or a need of zero) counts as 1.

Targets are ordered by

1. ``coverage`` ascending — the least-served households first, so aid spreads across
   neighbourhoods instead of piling onto the same streets;
2. ``remaining`` descending — among equally served targets, the one with more
   households still waiting comes first;
3. target ``id`` ascending — a deterministic tie-break, stable across pages.

Zero-need and fully covered targets therefore always come last.

The planner hands out packages one at a time (or the first block of ``min_drop``), each
to the need that ranks first by this rule *at that moment* — so its first package goes
to the list's first target for the same area and aid type, and a plan is the list's
order applied again after every package. Coverage is compared as an IEEE double
``held / need`` (the stored column ``Need.coverage`` and Python's ``/`` round the same
way), so equal shares are equal keys on every path.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# The order as Need fields (index ``need_priority_idx`` walks it).
PRIORITY: tuple[str, ...] = ("coverage", "-remaining", "target_id")


def priority_key[Id: (int, str)](quantity: int, held: int, target_id: Id) -> tuple[float, int, Id]:
    """The rule as a sort key: smaller sorts first. ``target_id`` may be any ordered key
    (the finder ranks kelurahan by their code the same way)."""
    remaining = max(quantity - held, 0)
    coverage = held / quantity if remaining > 0 else 1.0
    return (coverage, -remaining, target_id)


def planner_order(quantity: npt.NDArray[np.int64], target_ids: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
    """The order in which the planner breaks ties between needs at the same coverage:
    larger need first, then lower target id.

    This is the rule's second and third key. At equal coverage ``c < 1`` a need's
    remaining is ``need · (1 − c)``, so "more remaining" is "larger need" — an order
    that does not change as packages are handed out, which is what lets the planner sort
    once and hand out many packages per pass."""
    return np.lexsort((target_ids, -quantity))
