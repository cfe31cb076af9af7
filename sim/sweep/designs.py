"""Experimental designs: which parameter values each design point takes.

Every design but the grid draws points in the unit cube (one column per parameter) and maps each
coordinate to a value: a point of the parameter's range (linear or log), or one of its discrete
choices by equal-width bins. Random and Latin hypercube use numpy/scipy generators seeded by the
spec; Sobol (Saltelli's scheme) and Morris (trajectories) come from SALib, so their points line up
with SALib's analysis. The grid is the full factorial of every parameter's choices, indexed
lazily, so a large grid costs no memory. Points are a pure function of the spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.sweep.spec import SweepSpec


def salib_problem(spec: SweepSpec) -> dict:
    """The SALib problem over the unit cube, one variable per parameter."""
    return {"num_vars": len(spec.parameters), "names": [p.name for p in spec.parameters],
            "bounds": [[0.0, 1.0]] * len(spec.parameters)}


def unit_samples(spec: SweepSpec) -> np.ndarray | None:
    """Design points in the unit cube (points x parameters), or None for a grid."""
    d, k = spec.design, len(spec.parameters)
    if d.type == "grid":
        return None
    if d.type == "random":
        return np.random.default_rng(spec.seed).random((d.n, k))
    if d.type == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=k, seed=np.random.default_rng(spec.seed)).random(d.n)
    if d.type == "sobol":
        from SALib.sample import sobol

        return sobol.sample(salib_problem(spec), d.n, calc_second_order=d.second_order, seed=spec.seed)
    from SALib.sample import morris

    return morris.sample(salib_problem(spec), d.n, num_levels=d.levels, seed=spec.seed)


@dataclass
class DesignPoints:
    """The points of a spec's design: their number and the parameter values of each."""

    spec: SweepSpec
    unit: np.ndarray | None
    shape: tuple[int, ...]

    @classmethod
    def of(cls, spec: SweepSpec) -> DesignPoints:
        unit = unit_samples(spec)
        shape = tuple(len(p.choices) for p in spec.parameters) if unit is None else (len(unit),)
        return cls(spec, unit, shape)

    def __len__(self) -> int:
        return int(np.prod(self.shape)) if self.unit is None else len(self.unit)

    def values(self, point: int) -> dict[str, Any]:
        """Recorded parameter values of one point (a level's label, not its setting)."""
        params = self.spec.parameters
        if self.unit is None:
            index = np.unravel_index(point, self.shape)
            return {p.name: _plain(p.choices[int(i)]) for p, i in zip(params, index, strict=True)}
        return {p.name: _plain(p.from_unit(float(u))) for p, u in zip(params, self.unit[point], strict=True)}

    def overrides(self, values: dict[str, Any]) -> dict[str, Any]:
        """Scenario overrides (dotted path -> value) for recorded parameter values, after the fixed ones."""
        out = dict(self.spec.overrides)
        for p in self.spec.parameters:
            for path in p.targets:
                out[path] = p.setting(values[p.name])
        return out


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones (for pickling, JSON and Parquet)."""
    return value.item() if isinstance(value, np.generic) else value
