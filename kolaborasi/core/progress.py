"""Progress bars for long command-line work (stderr, so stdout stays machine-readable)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def progress_bar(total: int | None, desc: str, unit: str = "baris") -> Iterator[Callable[[int], None]]:
    bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=None, mininterval=0.5)

    def update(n: int) -> None:
        bar.update(n)

    try:
        yield update
    finally:
        bar.close()
