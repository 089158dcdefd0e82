"""Memory a process has freed, given back to the system."""

from __future__ import annotations

import contextlib
import gc
import sys


def give_back(collect: bool = True) -> None:
    """Return what this process freed to the system now: the C library and Arrow
    otherwise keep freed memory for their own reuse (a quarter of a gigabyte after
    reading a 100,000-account pack; gigabytes in a kernel that ran a million accounts'
    step), and it would stay counted while the next step needs its own. ``collect``:
    Python's cycles first (False: only what is freed already, in milliseconds)."""
    import ctypes

    if collect:
        gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # glibc only (Linux)
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    if "pyarrow" in sys.modules:  # Arrow's own allocator keeps what reading Parquet used
        sys.modules["pyarrow"].default_memory_pool().release_unused()
