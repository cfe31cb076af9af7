"""Compiling kernels with numba, their machine code cached outside the package.

`kernel` is `numba.njit(cache=True, nogil=True)` with one difference: numba's default cache sits in
`__pycache__` beside the source, which for an installed sim means writing into site-packages. Kernels
are cached instead in the user's cache folder, `$XDG_CACHE_HOME/sim/numba` (default `~/.cache/sim/numba`;
safe to delete), under the path of the source file, so two installs never share compiled code. A
`NUMBA_CACHE_DIR` the user set wins; where no cache folder can be written, numba's own rules apply.
The folder is set only while sim's kernels are defined: other numba code in the process is untouched.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numba
from numba import njit


def cache_folder() -> Path | None:
    """Where sim's compiled kernels go: None when the user chose (NUMBA_CACHE_DIR) or nothing is writable."""
    if numba.config.CACHE_DIR:
        return None
    chosen = os.environ.get("XDG_CACHE_HOME", "")
    try:  # the XDG rule: a relative XDG_CACHE_HOME is ignored
        base = Path(chosen) if os.path.isabs(chosen) else Path.home() / ".cache"
    except (RuntimeError, KeyError):  # no home folder to be found
        return None
    folder = base / "sim" / "numba"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


def kernel(function: Callable | None = None, **options) -> Callable:
    """`@kernel` or `@kernel(inline="always")`: njit with caching in `cache_folder()` and the GIL released."""

    def compile_(func: Callable) -> Callable:
        folder, chosen = cache_folder(), numba.config.CACHE_DIR
        if folder is not None:
            numba.config.CACHE_DIR = str(folder)  # read once, when numba picks the cache's place
        try:
            return njit(cache=True, nogil=True, **options)(func)
        finally:
            numba.config.CACHE_DIR = chosen

    return compile_(function) if function is not None else compile_
