"""Sweep specifications: the schema, loading from YAML and validation before any run starts.

A sweep names a base scenario (with fixed overrides), the parameters to vary (each addressed by a
dotted scenario path, with a list of values, named levels or a numeric range), an experimental
design (grid, random, Latin hypercube, Sobol or Morris), replicates by seed and the outputs to keep
(scalar metrics, optional time series). `validate` checks everything a user can get wrong — unknown
paths, empty ranges, unknown designs, unknown metric names, values the scenario schema rejects —
and raises one `ScenarioError` naming the sweep file and the field, so a bad sweep never starts.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError

from sim.errors import ScenarioError, short_repr
from sim.scenario import (
    NAME_PATTERN,
    Scenario,
    apply_overrides,
    first_error,
    load_raw,
    read_yaml,
    resolve_config,
    resolve_path,
)
from sim.scenario.schema import Strict

DESIGNS = ("grid", "random", "lhs", "sobol", "morris")
RESERVED_COLUMNS = ("run_id", "point", "replicate", "seed", "status", "error", "elapsed_s", "worker")


class SweepConfig(Strict):
    """Base of every sweep block: unknown keys are errors, as in scenario blocks."""


class Parameter(SweepConfig):
    """One varied input: scenario path(s) and its values (a list, named levels or a numeric range)."""

    name: str = Field(pattern=NAME_PATTERN, description="the parameter's column in the results (unique, not a "
                      "reserved column name)")
    path: str | None = Field(None, description="dotted scenario path, e.g. engine.switching_days")
    paths: list[str] = Field(default_factory=list, description="several paths set to the same value")
    values: list[Any] | None = Field(None, description="discrete values")
    levels: dict[str, Any] | None = Field(None, description="named values: label -> value set at the path(s)")
    low: float | None = Field(None, description="lower end of a numeric range (with high)")
    high: float | None = Field(None, description="upper end of a numeric range (with low)")
    num: int | None = Field(None, ge=2, description="grid points over [low, high] for the grid design")
    scale: Literal["linear", "log"] = Field("linear", description="spacing of a range: linear, or log (needs low > 0)")
    integer: bool = Field(False, description="round range values to the nearest whole number")

    @property
    def targets(self) -> list[str]:
        return ([self.path] if self.path else []) + list(self.paths)

    @property
    def kind(self) -> str:
        """'levels', 'values' or 'range'."""
        return "levels" if self.levels is not None else "values" if self.values is not None else "range"

    @property
    def choices(self) -> list[Any] | None:
        """The discrete choices (labels for levels), or None for a continuous range."""
        if self.levels is not None:
            return list(self.levels)
        if self.values is not None:
            return list(self.values)
        if self.num is not None:
            return list(self.grid_values())
        return None

    def grid_values(self) -> np.ndarray:
        u = np.linspace(0.0, 1.0, self.num or 2)
        return np.array([self.from_unit(x) for x in u])

    def from_unit(self, u: float) -> Any:
        """The value at position `u` in [0, 1]: a choice by equal-width bins, or a point of the range."""
        if self.kind != "range":
            options = list(self.levels) if self.levels is not None else list(self.values)
            return options[min(int(u * len(options)), len(options) - 1)]
        low, high = float(self.low), float(self.high)
        x = math.exp(math.log(low) + u * (math.log(high) - math.log(low))) if self.scale == "log" else low + u * (
            high - low)
        return int(round(x)) if self.integer else float(x)

    def setting(self, value: Any) -> Any:
        """What is written at the scenario path(s) for a recorded value (a level's label -> its value)."""
        return self.levels[value] if self.levels is not None else value

    def column_type(self) -> str:
        """Parquet type of the parameter column: 'int64', 'float64' or 'string'."""
        if self.kind == "levels":
            return "string"
        if self.kind == "range":
            return "int64" if self.integer else "float64"
        if all(isinstance(v, bool) for v in self.values):
            return "string"
        if all(isinstance(v, int) and not isinstance(v, bool) for v in self.values):
            return "int64"
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in self.values):
            return "float64"
        return "string"


class Design(SweepConfig):
    """How points are drawn: grid (full factorial), random, lhs, sobol (Saltelli) or morris."""

    type: Literal["grid", "random", "lhs", "sobol", "morris"] = Field(
        description="how points are drawn: grid, random, lhs (Latin hypercube), sobol (Saltelli) or morris")
    n: int | None = Field(None, ge=1, description="samples (random, lhs), base size N (sobol), trajectories (morris)")
    second_order: bool = Field(False, description="sobol: also second-order indices")
    levels: int = Field(4, ge=2, description="morris: grid levels")


class Outputs(SweepConfig):
    """Scalar metrics per run (see sim.sweep.outputs) and optional loss-per-step series."""

    metrics: list[str] = Field(min_length=1, description="scalars kept per run: a series with a figure "
                               "(throughput.cumulative_loss_days) or a run total (tariff_revenue)")
    timeseries: list[str] = Field(default_factory=list, description="series whose loss per step (% of the baseline) "
                                  "is kept, e.g. throughput")


class SweepSpec(SweepConfig):
    """A validated sweep. Build with `load_spec` (a file or a mapping)."""

    name: str = Field(pattern=NAME_PATTERN, description="sweep name; results go to results/sweeps/<name> by default")
    description: str = Field("", description="one-line summary shown by sim list (free text)")
    base: str = Field(description="scenario name or YAML path (relative to the sweep file)")
    overrides: dict[str, Any] = Field(default_factory=dict, description="fixed overrides of the base")
    steps: int | None = Field(None, gt=0, description="steps per run (null: the base scenario's time.steps)")
    design: Design = Field(description="how the design points are drawn")
    parameters: list[Parameter] = Field(min_length=1, description="the inputs varied, each at one or more scenario "
                                        "paths")
    replicates: int = Field(1, ge=1, description="runs per design point, each with its own seed")
    seeds: list[int] | None = Field(None, min_length=1, description="explicit seeds, one per replicate")
    seed: int = Field(0, ge=0, description="seed of the design sampling and of derived replicate seeds")
    outputs: Outputs = Field(description="what each run keeps")
    file: str | None = Field(None, exclude=True)
    base_path: str | None = Field(None, exclude=True)

    # -- derived ------------------------------------------------------------------------------
    def replicate_seeds(self) -> list[int]:
        """One model seed per replicate: the explicit list, or drawn from `seed`."""
        if self.seeds is not None:
            return list(self.seeds)
        return [int(s) for s in np.random.SeedSequence(self.seed).generate_state(self.replicates)]

    def base_raw(self) -> dict:
        """The base scenario as a raw mapping with the fixed overrides applied."""
        path = Path(self.base_path or resolve_path(self.base))
        raw = load_raw(path)
        return apply_overrides(raw, self.overrides, file=str(path)) if self.overrides else raw

    def definition(self) -> dict:
        """The spec as plain data (what the manifest records and the hash covers)."""
        return self.model_dump(mode="json")

    def spec_hash(self, base_raw: Mapping | None = None) -> str:
        """SHA-256 of the spec and of the resolved base scenario: a changed input is a different sweep."""
        payload = {"spec": self.definition(), "base": base_raw if base_raw is not None else self.base_raw()}
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def base_mapping(name_or_path: str | Path) -> dict:
    """A scenario as the raw mapping a sweep's overrides apply to (`extends` merged, not validated).

    Research scripts read it to build fixed overrides from the scenario's own lists (e.g. its tariff
    schedule with some entries replaced).
    """
    return load_raw(resolve_path(name_or_path))


# ---------------------------------------------------------------------------------------------
# loading and validation


def load_spec(spec: SweepSpec | Mapping | str | Path, *, check: bool = True) -> SweepSpec:
    """A validated SweepSpec from a YAML path or a name in configs/sweeps (e.g. 'tiny_grid'), a mapping or
    a SweepSpec; errors name the file and field."""
    if isinstance(spec, SweepSpec):
        result = spec
    else:
        file = None
        if isinstance(spec, str | Path):
            path = resolve_config(spec, "sweeps")  # a path, or a name in configs/sweeps
            file = str(path)
            raw = read_yaml(path, "sweep")
        elif isinstance(spec, Mapping):
            raw = dict(spec)
        else:
            raise ScenarioError(f"a sweep spec is a YAML path, a mapping or a SweepSpec, not {type(spec).__name__}")
        try:
            result = SweepSpec.model_validate(raw)
        except ValidationError as exc:
            raise _schema_error(exc, raw, file) from None
        result.file = file
        result.base_path = str(_base_path(result.base, file))
    if check:
        validate(result)
    return result


def _base_path(base: str, file: str | None) -> Path:
    """The base scenario: a path relative to the sweep file, a path, or a scenario name."""
    if file is not None:
        beside = Path(file).parent / base
        if beside.is_file():
            return beside
    try:
        return resolve_path(base)
    except ScenarioError as exc:
        raise ScenarioError(str(exc), file=file, field="base") from None


def _schema_error(exc: ValidationError, raw: Any, file: str | None) -> ScenarioError:
    """The spec's first schema error, worded as the scenario's are (did-you-mean, allowed keys, bounded value)."""
    err = exc.errors()[0]
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("literal[", "list[")))]
    if err["type"] == "literal_error" and loc and loc[-1] == "type":
        given = raw.get("design", {}).get("type") if isinstance(raw.get("design"), dict) else None
        return ScenarioError(f"unknown design {short_repr(given)}; allowed: {', '.join(DESIGNS)}", file=file,
                             field=".".join(str(p) for p in loc))
    return first_error(exc, raw, file, SweepSpec)


def validate(spec: SweepSpec) -> None:
    """Check the parameters, the design and the outputs against the base scenario; raise on the first problem."""
    from sim.sweep.outputs import check_names

    file = spec.file
    names = [p.name for p in spec.parameters]
    for i, p in enumerate(spec.parameters):
        _check_parameter(p, f"parameters[{i}]", file)
        if p.name in RESERVED_COLUMNS or names.count(p.name) > 1:
            raise ScenarioError(f"parameter name '{p.name}' is reserved or repeated", file=file,
                                field=f"parameters[{i}].name")
    _check_design(spec, file)
    if spec.seeds is not None and len(spec.seeds) != spec.replicates:
        if spec.replicates != 1:
            raise ScenarioError(f"{len(spec.seeds)} seeds for {spec.replicates} replicates", file=file, field="seeds")
        spec.replicates = len(spec.seeds)
    runs = design_points(spec) * spec.replicates
    if runs > MAX_RUNS:
        raise ScenarioError(f"the sweep has {runs:,} runs ({design_points(spec):,} points x {spec.replicates} "
                            f"replicates); allowed: at most {MAX_RUNS:,} (split it into several sweeps)",
                            file=file, field="design" if design_points(spec) > MAX_RUNS else "replicates")
    try:
        base = spec.base_raw()
        scenario = Scenario.from_dict(base, file=spec.base_path)
    except ScenarioError as exc:
        raise ScenarioError(f"the base scenario with the fixed overrides is invalid: {exc}", file=file,
                            field="overrides" if spec.overrides else "base") from None
    for i, p in enumerate(spec.parameters):
        _check_paths(p, base, f"parameters[{i}]", spec.base_path, file)
    check_names(spec.outputs.metrics, scenario, scalar=True, file=file, field="outputs.metrics")
    check_names(spec.outputs.timeseries, scenario, scalar=False, file=file, field="outputs.timeseries")


MAX_RUNS = 10_000_000  # a Sobol analysis of 20 inputs at N = 2**17 is 2.9 million runs


def design_points(spec: SweepSpec) -> int:
    """The number of design points, computed from the spec alone (exact integers, nothing sampled)."""
    d, k = spec.design, len(spec.parameters)
    if d.type == "grid":
        return math.prod(len(p.values) if p.values is not None else len(p.levels) if p.levels is not None
                         else p.num or 0 for p in spec.parameters)
    if d.type == "sobol":
        return d.n * (2 * k + 2 if d.second_order else k + 2)
    if d.type == "morris":
        return d.n * (k + 1)
    return d.n


def _check_parameter(p: Parameter, field: str, file: str | None) -> None:
    given = [k for k in ("values", "levels") if getattr(p, k) is not None]
    if p.low is not None or p.high is not None:
        given.append("low/high")
    if len(given) != 1:
        raise ScenarioError(f"give exactly one of values, levels or low/high (given: {', '.join(given) or 'none'})",
                            file=file, field=field)
    if not p.targets:
        raise ScenarioError("give the scenario path to vary in 'path' (or several in 'paths')", file=file,
                            field=f"{field}.path")
    if p.kind == "values" and len(p.values) == 0:
        raise ScenarioError("empty list of values: give at least one value", file=file, field=f"{field}.values")
    if p.kind == "levels" and len(p.levels) == 0:
        raise ScenarioError("empty levels: give at least one label: value", file=file, field=f"{field}.levels")
    if p.kind == "range":
        if p.low is None or p.high is None:
            raise ScenarioError("a range needs both low and high", file=file, field=field)
        if not p.low < p.high:
            raise ScenarioError(f"empty range [{p.low}, {p.high}]: low must be below high", file=file,
                                field=f"{field}.low")
        if p.scale == "log" and p.low <= 0:
            raise ScenarioError("a log-scale range needs low > 0", file=file, field=f"{field}.low")
    elif p.num is not None:
        raise ScenarioError("'num' applies to a low/high range only", file=file, field=f"{field}.num")


def _check_design(spec: SweepSpec, file: str | None) -> None:
    d = spec.design
    if d.type == "grid":
        for i, p in enumerate(spec.parameters):
            if p.values is None and p.levels is None and p.num is None:
                raise ScenarioError("a grid needs discrete values: give values, levels or num with low/high",
                                    file=file, field=f"parameters[{i}]")
        return
    if d.n is None:
        what = {"random": "samples", "lhs": "samples", "sobol": "base sample size N (a power of 2)",
                "morris": "trajectories"}[d.type]
        raise ScenarioError(f"the {d.type} design needs n ({what})", file=file, field="design.n")
    if d.type == "sobol" and d.n & (d.n - 1):
        raise ScenarioError(f"n={d.n}: the sobol design needs a power of 2", file=file, field="design.n")
    if d.type == "morris" and d.n < 2:
        raise ScenarioError("the morris design needs n >= 2 trajectories", file=file, field="design.n")


def _check_paths(p: Parameter, base: dict, field: str, base_file: str | None, file: str | None) -> None:
    """Apply every choice (or both ends of a range) to the base scenario and validate the result."""
    if p.kind == "range":
        samples = [p.from_unit(0.0), p.from_unit(1.0)]
    else:
        samples = [p.from_unit((k + 0.5) / len(p.choices)) for k in range(len(p.choices))]
    for value in samples:
        overrides = {path: p.setting(value) for path in p.targets}
        try:
            Scenario.from_dict(apply_overrides(base, overrides, file=base_file), file=base_file)
        except ScenarioError as exc:
            raise ScenarioError(f"setting {', '.join(p.targets)} to {short_repr(value)} gives an invalid "
                                f"scenario: {exc}", file=file, field=f"{field}.path") from None
