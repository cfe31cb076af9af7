"""The one error type for bad user input (config files, overrides, CLI arguments).

A `ScenarioError` carries a message that names the file, the field, the offending value and what
is allowed; the CLI prints it without a traceback and exits with status 2. Internal bugs raise
ordinary exceptions and keep their tracebacks.
"""

from __future__ import annotations


class ScenarioError(ValueError):
    """Bad user input: the message says where (file, field), what was given and what is allowed."""

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None):
        self.file = file
        self.field = field
        where = ", ".join(p for p in (file and f"in {file}", field and f"at '{field}'") if p)
        super().__init__(f"{where}: {message}" if where else message)
