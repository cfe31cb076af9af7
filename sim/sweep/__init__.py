"""Parameter sweeps: specs, designs, executors, a streamed resumable result store, and analysis.

    import sim
    result = sim.sweep("configs/sweeps/tiny_grid.yaml", workers=2)   # or executor=any Executor
    runs = result.runs()                                              # one pandas DataFrame
    from sim.sweep import analysis
    analysis.sobol_indices(result.out, "throughput.cumulative_loss_days")

The analysis functions (matplotlib, SALib) load on first use. See docs/sweeps.md for the spec
format, the metric names and the result layout.
"""

from typing import Any

from sim.sweep.runner import SweepResult, sweep
from sim.sweep.spec import SweepSpec, load_spec

ANALYSIS = ("fan_chart", "heatmap", "load_runs", "load_series", "morris_indices", "sobol_indices", "tornado",
            "write_figures")

__all__ = ["SweepResult", "SweepSpec", "load_spec", "sweep", *ANALYSIS]


def __getattr__(name: str) -> Any:
    if name in ANALYSIS:
        from sim.sweep import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module 'sim.sweep' has no attribute {name!r}")
