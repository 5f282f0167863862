"""Fewer garbage collections while a build applies batch after batch.

A batch keeps thousands of decoded events and row dicts alive until it commits,
so at Python's default thresholds (700, 10, 10) the collector promotes and
rescans them again and again: in a rebuild of 100k events it took about a
quarter of the time. Thresholds of (50,000, 50, 1,000) while building leave the
same memory bound (a batch at a time) and are restored afterwards. The API
serves under the same helper with its own young-generation threshold.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BUILD_THRESHOLDS = (50_000, 50, 1_000)


@contextmanager
def fewer_collections(thresholds: tuple[int, int, int] = BUILD_THRESHOLDS) -> Iterator[None]:
    """Raise the collector's thresholds to at least ``thresholds``, then restore them."""
    before = gc.get_threshold()
    gc.set_threshold(*(max(a, b) for a, b in zip(before, thresholds, strict=True)))
    try:
        yield
    finally:
        gc.set_threshold(*before)
