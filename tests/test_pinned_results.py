"""Pinned results of every shipped scenario: refactoring must not change what a run computes.

Each scenario runs with its defaults (and its baseline run). The pin holds the run's summary, its event
log and, per recorded table, two checksums (the sum, and a sum weighted by position so that values moved
between columns or steps show); all numbers must agree to 1e-9 relative. After a change that is meant to
alter results, regenerate with `python tests/test_pinned_results.py --write` and say why in the commit.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.scenario import scenario_dirs

PIN = Path(__file__).parent / "data" / "pinned_results.json"
SCENARIOS = sorted(p.stem for p in scenario_dirs()[0].glob("*.yaml"))
RTOL = 1e-9


def fingerprint(name: str) -> dict:
    """What the pin keeps of a run of scenario `name`: summary, events and table checksums."""
    results = sim.run(name)
    tables = {}
    for table, values in sorted(results.arrays.items()):
        values = np.asarray(values, dtype=float)
        weights = 1.0 + (np.arange(values.size) % 97) / 97.0
        tables[table] = [float(values.sum()), float((values.ravel() * weights).sum())]
    events = [{k: (float(v) if isinstance(v, float | int) and not isinstance(v, bool) else v)
               for k, v in event.items()} for event in results.events.to_dict("records")]
    return {"summary": results.summary(), "events": events, "tables": tables}


def assert_close(got, want, where: str) -> None:
    """`got` equals `want` (nested dicts and lists), floats to RTOL; the first difference is named."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), f"{where}: keys {sorted(got)} != {sorted(want)}"
        for key in want:
            assert_close(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{where}: length {len(got)} != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_close(g, w, f"{where}[{i}]")
    elif isinstance(want, float) and not isinstance(got, bool) and isinstance(got, float | int):
        if math.isnan(want):
            assert math.isnan(got), f"{where}: {got} != nan"
        else:
            assert math.isclose(got, want, rel_tol=RTOL, abs_tol=1e-12), f"{where}: {got!r} != {want!r}"
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


@pytest.mark.parametrize("name", SCENARIOS)
def test_shipped_scenario_results_are_pinned(name):
    pinned = json.loads(PIN.read_text())
    assert name in pinned, f"{name} has no pin: run python tests/test_pinned_results.py --write"
    assert_close(json.loads(json.dumps(fingerprint(name))), pinned[name], name)


def test_pin_covers_every_shipped_scenario():
    assert sorted(json.loads(PIN.read_text())) == SCENARIOS


def test_assert_close_finds_a_difference():
    with pytest.raises(AssertionError, match=r"x\.a\[1\]"):
        assert_close({"a": [1.0, 2.0 + 1e-6]}, {"a": [1.0, 2.0]}, "x")


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    PIN.write_text(json.dumps({name: fingerprint(name) for name in SCENARIOS}, indent=1, sort_keys=True) + "\n")
    print(f"wrote {PIN} ({len(SCENARIOS)} scenarios)")
