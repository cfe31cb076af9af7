"""The one error type for bad user input (config files, overrides, CLI arguments).

A `ScenarioError` carries a message that names the file, the field, the offending value and what
is allowed; the CLI prints it without a traceback and exits with status 2. Internal bugs raise
ordinary exceptions and keep their tracebacks. Messages are cut to `MAX_MESSAGE` characters, so
no input, however large, makes an unbounded one.
"""

from __future__ import annotations

import reprlib
from typing import Any

MAX_MESSAGE = 2000
_SHORT = reprlib.Repr(maxlevel=2, maxtuple=4, maxlist=4, maxdict=4, maxset=4, maxstring=60, maxother=60,
                      maxlong=40)


def short_repr(value: Any) -> str:
    """`repr(value)` cut to a few dozen characters, in time bounded whatever the value's size (for messages)."""
    return _SHORT.repr(value)


class ScenarioError(ValueError):
    """Bad user input: the message says where (file, field), what was given and what is allowed."""

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None):
        self.file = file
        self.field = field
        where = ", ".join(p for p in (file and f"in {file}", field and f"at '{field}'") if p)
        text = f"{where}: {message}" if where else message
        super().__init__(text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "...")


class StorageError(ScenarioError):
    """Results cannot be written (a full disk, a lost permission): the user's to fix, so reported like
    bad input, without a traceback; what was finished before stays on disk."""


class WorkerError(ScenarioError):
    """A sweep's workers keep dying (memory, a broken cluster): the machine's to fix, reported without a
    traceback; every run finished before stays on disk."""
