"""Messages of the `sim` command: results on stdout, everything else through `logging` on stderr.

Tables and summaries (or, with `--json`, one JSON document) are the command's output and go to
stdout, so `sim run --json > run.json` or a pipe gets only them. Notes on what was done and written
go to the `sim` logger at INFO, problems at WARNING, details at DEBUG. `configure` is what the CLI
calls: `--quiet` shows warnings only (and no progress bars), `--verbose` adds debug messages with
times and module names. Library code only logs to `sim.*` loggers and never configures logging, so
a program or notebook that imports sim decides what it sees.
"""

from __future__ import annotations

import functools
import logging
import sys
from typing import TextIO

LOGGER = logging.getLogger("sim")


class _Formatter(logging.Formatter):
    """Plain messages; warnings and errors prefixed with their level ('warning: ...')."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return f"{record.levelname.lower()}: {text}" if record.levelno >= logging.WARNING else text


def configure(quiet: bool = False, verbose: bool = False, stream: TextIO | None = None) -> None:
    """Send the `sim` loggers' messages to `stream` (stderr) at the level the flags choose."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_Formatter("%(asctime)s %(name)s: %(message)s" if verbose else "%(message)s"))
    LOGGER.handlers[:] = [handler]
    LOGGER.propagate = False
    LOGGER.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)


@functools.cache
def warn_once(message: str) -> None:
    """Log `message` as a warning of the `sim.scenario` logger, once per process (a scenario loaded for
    every run of a sweep warns once)."""
    logging.getLogger("sim.scenario").warning(message)
