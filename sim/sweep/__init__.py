"""Parameter sweeps: specs, designs, executors, a streamed resumable result store, and analysis.

    import sim
    result = sim.sweep("configs/sweeps/tiny_grid.yaml", workers=2)   # or executor=any Executor
    runs = result.runs()                                              # one pandas DataFrame
    from sim.sweep import analysis
    analysis.sobol_indices(result.out, "throughput.cumulative_loss_days")

Every name loads on first use (the runner imports the model, the analysis matplotlib and SALib), so
the `sim sweep` command's options are read without them. See docs/sweeps.md for the spec format, the
metric names and the result layout.
"""

import importlib
from typing import Any

ANALYSIS = ("fan_chart", "heatmap", "load_runs", "load_series", "morris_indices", "sobol_indices", "tornado",
            "write_figures")
_HOMES = {"SweepResult": "sim.sweep.runner", "sweep": "sim.sweep.runner", "SweepSpec": "sim.sweep.spec",
          "load_spec": "sim.sweep.spec"} | {name: "sim.sweep.analysis" for name in ANALYSIS}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'sim.sweep' has no attribute {name!r}")
