"""Read a sweep's results back and analyse them: one DataFrame, SALib indices, standard figures.

`load_runs` gives one row per run (the last record of a retried run wins); `load_series` the kept
loss series (long: run_id, series, step, loss_pct). `sobol_indices` and `morris_indices` rebuild the
design from the manifest and call SALib on the per-point mean of a metric over replicates (design
coordinates are in the unit cube, so Morris effects are per full range of a parameter). Figures are
PNG files: a heatmap of a metric over two parameters, a fan chart of a loss series across runs
(quantile bands, optionally one fan per value of a parameter) and a tornado of sensitivities.

Sensitivity indices from a small sample are mostly noise (a first-order Sobol index of 1.9, an
interval wider than the index): each index table carries its caveats in `attrs["caveats"]` (a base
sample under `SOBOL_MIN_BASE`, indices outside [0, 1] beyond their interval, wide intervals; fewer
than `MORRIS_MIN_TRAJECTORIES` Morris trajectories; `sensitivity_caveats` for every metric of a
sweep), which the tornado figure and `sim sweep` show.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from matplotlib import colormaps
from matplotlib.figure import Figure

from sim.errors import ScenarioError
from sim.sweep.designs import salib_problem, unit_samples
from sim.sweep.parts import verified_parts
from sim.sweep.spec import SweepSpec

SOBOL_MIN_BASE = 512  # base samples N below which Sobol indices are indicative at best (SALib's examples: 1,024)
MORRIS_MIN_TRAJECTORIES = 10  # Morris (1991), Campolongo et al. (2007): 10-20 trajectories
WIDE_INTERVAL = 0.1  # a 95% interval wider than +/-0.1 on an index in [0, 1]


def load_manifest(out: str | Path) -> dict:
    path = Path(out) / "manifest.json"
    if not path.is_file():
        raise ScenarioError(f"no sweep results in {out} (manifest.json missing)")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ScenarioError(f"{path} is damaged (not JSON); allowed: a folder written by sim sweep") from None


def load_spec_of(out: str | Path) -> SweepSpec:
    """The spec a sweep folder was written with (as recorded in its manifest)."""
    return SweepSpec.model_validate(load_manifest(out)["spec"])


def load_runs(out: str | Path) -> pd.DataFrame:
    """Every run of a sweep as one DataFrame sorted by run_id (empty if none finished yet); a part
    that does not match its checksum is an error naming it (sim.sweep.parts)."""
    parts = verified_parts(Path(out), "runs", load_manifest(out))
    if not parts:
        return pd.DataFrame()
    table = pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True)
    table = table.drop_duplicates("run_id", keep="last")
    return table.sort_values("run_id").reset_index(drop=True)


def load_series(out: str | Path, names: list[str] | None = None) -> pd.DataFrame:
    """Kept loss series (run_id, series, step, loss_pct); only `names` if given (parts verified)."""
    parts = verified_parts(Path(out), "series", load_manifest(out))
    if not parts:
        return pd.DataFrame(columns=["run_id", "series", "step", "loss_pct"])
    filters = [("series", "in", list(names))] if names else None
    frames = [pq.read_table(p, filters=filters).to_pandas() for p in parts]
    return pd.concat(frames, ignore_index=True).drop_duplicates(["run_id", "series", "step"], keep="last")


def point_means(runs: pd.DataFrame, metric: str, n_points: int) -> np.ndarray:
    """Mean of `metric` per design point over replicates; an error if any point has no finished run."""
    ok = runs[runs["status"] == "ok"]
    means = ok.groupby("point")[metric].mean().reindex(range(n_points))
    missing = means.index[means.isna()].tolist()
    if missing:
        raise ValueError(f"{len(missing)} design points have no value of {metric} (first: {missing[:5]}); "
                         "sensitivity indices need every point")
    if np.ptp(means.to_numpy()) == 0:
        raise ValueError(f"{metric} is the same at every design point: its sensitivity indices are undefined")
    return means.to_numpy()


def sobol_indices(out: str | Path, metric: str) -> pd.DataFrame:
    """First-order and total Sobol indices (with confidence) of `metric` for each parameter."""
    from SALib.analyze import sobol

    spec = load_spec_of(out)
    if spec.design.type != "sobol":
        raise ValueError(f"Sobol indices need a sobol design, this sweep is {spec.design.type}")
    unit = unit_samples(spec)
    y = point_means(load_runs(out), metric, len(unit))
    res = sobol.analyze(salib_problem(spec), y, calc_second_order=spec.design.second_order, seed=spec.seed)
    names = [p.name for p in spec.parameters]
    table = pd.DataFrame({"S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"], "ST_conf": res["ST_conf"]},
                         index=pd.Index(names, name="parameter"))
    table.attrs["caveats"] = sobol_caveats(table, spec.design.n)
    return table


def sobol_caveats(indices: pd.DataFrame, n_base: int) -> list[str]:
    """Why a table of Sobol indices may not mean much: a small base sample, indices outside [0, 1] by more
    than their interval, intervals wider than +/-WIDE_INTERVAL. Empty when none applies."""
    caveats = []
    if n_base < SOBOL_MIN_BASE:
        caveats.append(f"small sample: N = {n_base} base samples; Sobol indices need several hundred or more "
                       f"(at least {SOBOL_MIN_BASE} here) to be more than indicative")
    for index in ("S1", "ST"):
        value, conf = indices[index], indices[f"{index}_conf"].fillna(0)
        outside = indices.index[(value < -conf) | (value > 1 + conf)]
        if len(outside):
            caveats.append(f"{index} outside [0, 1] beyond its interval for {', '.join(map(str, outside))}: "
                           "sampling noise, not a property of the model")
    wide = indices.index[(indices[["S1_conf", "ST_conf"]] > WIDE_INTERVAL).any(axis=1)]
    if len(wide):
        caveats.append(f"95% intervals wider than +/-{WIDE_INTERVAL:g} for {', '.join(map(str, wide))}")
    return caveats


def morris_indices(out: str | Path, metric: str) -> pd.DataFrame:
    """Morris elementary effects (mu, mu_star, sigma, mu_star_conf) of `metric` per parameter."""
    from SALib.analyze import morris

    spec = load_spec_of(out)
    if spec.design.type != "morris":
        raise ValueError(f"Morris indices need a morris design, this sweep is {spec.design.type}")
    unit = unit_samples(spec)
    y = point_means(load_runs(out), metric, len(unit))
    res = morris.analyze(salib_problem(spec), unit, y, num_levels=spec.design.levels, seed=spec.seed)
    table = pd.DataFrame({k: np.asarray(res[k], float) for k in ("mu", "mu_star", "sigma", "mu_star_conf")},
                         index=pd.Index(res["names"], name="parameter"))
    table.attrs["caveats"] = ([f"small sample: {spec.design.n} trajectories; Morris screening needs at least "
                               f"{MORRIS_MIN_TRAJECTORIES} to rank the inputs reliably"]
                              if spec.design.n < MORRIS_MIN_TRAJECTORIES else [])
    return table


# ---------------------------------------------------------------------------------------------
# figures


def heatmap(runs: pd.DataFrame, x: str, y: str, metric: str, path: str | Path, title: str | None = None) -> Path:
    """Mean of `metric` over replicates on the grid of parameters `x` and `y`, annotated."""
    table = runs[runs["status"] == "ok"].pivot_table(index=y, columns=x, values=metric, aggfunc="mean",
                                                     observed=True)
    fig = Figure(figsize=(1.2 + 0.9 * max(3, table.shape[1]), 1.2 + 0.6 * max(3, table.shape[0])))
    ax = fig.add_subplot()
    image = ax.imshow(table.to_numpy(float), cmap="viridis", aspect="auto", origin="lower")
    ax.set_xticks(range(table.shape[1]), [_label(v) for v in table.columns], rotation=30, ha="right")
    ax.set_yticks(range(table.shape[0]), [_label(v) for v in table.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    values = table.to_numpy(float)
    finite = values[np.isfinite(values)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, "–" if not np.isfinite(v) else f"{v:.3g}", ha="center", va="center", fontsize=8,
                color="white" if np.isfinite(v) and v < middle else "black")
    fig.colorbar(image, ax=ax, label=metric)
    ax.set_title(title or metric, fontsize=10)
    return _save(fig, path)


def fan_chart(series: pd.DataFrame, name: str, path: str | Path, runs: pd.DataFrame | None = None,
              by: str | None = None, days_per_step: float = 1.0, title: str | None = None) -> Path:
    """Median and 5-95% / 25-75% bands of a loss series across runs; one fan per value of `by`."""
    data = series[series["series"] == name]
    if by is not None:
        data = data.merge(runs[["run_id", by]], on="run_id")
        groups = list(data.groupby(by, sort=True, observed=True))
    else:
        groups = [("all runs", data)]
    fig = Figure(figsize=(8, 4.2))
    ax = fig.add_subplot()
    colours = colormaps["tab10"].colors
    for k, (label, group) in enumerate(groups):
        q = group.groupby("step")["loss_pct"].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
        days = q.index.to_numpy() * days_per_step
        colour = colours[k % len(colours)]
        ax.fill_between(days, q[0.05], q[0.95], color=colour, alpha=0.15, linewidth=0)
        ax.fill_between(days, q[0.25], q[0.75], color=colour, alpha=0.3, linewidth=0)
        n = group["run_id"].nunique()
        ax.plot(days, q[0.5], color=colour, label=f"{by} = {_label(label)} ({n} runs)" if by else f"median ({n} runs)")
    ax.axhline(0, color="grey", linewidth=0.6)
    ax.set_xlabel("day")
    ax.set_ylabel("loss vs baseline (%)")
    ax.set_title(title or f"{name}: median, 25-75% and 5-95% of runs", fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, path)


def tornado(indices: pd.DataFrame, column: str, path: str | Path, error: str | None = None,
            title: str | None = None) -> Path:
    """Horizontal bars of one sensitivity column, largest on top (with error bars if given); the table's
    caveats (`attrs["caveats"]`), if any, are printed under the bars."""
    data = indices.sort_values(column)
    caveats = indices.attrs.get("caveats", [])
    fig = Figure(figsize=(7, 0.9 + 0.45 * len(data) + 0.35 * len(caveats)))
    ax = fig.add_subplot()
    ax.barh([str(i) for i in data.index], data[column], xerr=data[error] if error else None,
            color="#4c72b0", capsize=3)
    ax.axvline(0, color="grey", linewidth=0.6)
    ax.set_xlabel(column)
    ax.set_title(title or column, fontsize=10)
    if caveats:
        note = "\n".join(textwrap.fill(f"Caution: {c}", 95) for c in caveats)
        fig.text(0.01, 0.0, note, fontsize=7, color="#a00000", va="top", ha="left")
    return _save(fig, path)


def write_figures(out: str | Path) -> list[Path]:
    """The standard figures a sweep's design allows, under `out/figures/` (first metric, first series)."""
    spec = load_spec_of(out)
    runs = load_runs(out)
    figures = Path(out) / "figures"
    written: list[Path] = []
    if runs.empty or not (runs["status"] == "ok").any():
        return written
    metric = spec.outputs.metrics[0]
    names = [p.name for p in spec.parameters]
    if spec.design.type == "grid" and len(names) >= 2:
        written.append(heatmap(runs, names[0], names[1], metric, figures / f"heatmap_{metric}.png"))
    if _indices_ready(spec, runs):
        indices = (sobol_indices if spec.design.type == "sobol" else morris_indices)(out, metric)
        column, error, title = (("ST", "ST_conf", "Total Sobol index") if spec.design.type == "sobol" else
                                ("mu_star", "mu_star_conf", "Morris mu*"))
        written.append(tornado(indices, column, figures / f"tornado_{metric}.png", error=error,
                               title=f"{title} of {metric}"))
    for name in spec.outputs.timeseries[:1]:
        written.append(fan_chart(load_series(out, [name]), name, figures / f"fan_{name}.png"))
    return written


def _indices_ready(spec: SweepSpec, runs: pd.DataFrame) -> bool:
    """Whether a sobol or morris sweep has every design point, all ok, so its indices can be computed."""
    return (spec.design.type in ("sobol", "morris") and not runs.empty and bool((runs["status"] == "ok").all())
            and runs["point"].nunique() == len(unit_samples(spec)))


def sensitivity_caveats(out: str | Path) -> dict[str, list[str]]:
    """Per metric, the caveats on the sweep's sensitivity indices (see `sobol_caveats`); empty unless the
    sweep is a complete sobol or morris design."""
    spec, runs = load_spec_of(out), load_runs(out)
    if not _indices_ready(spec, runs):
        return {}
    indices = sobol_indices if spec.design.type == "sobol" else morris_indices
    return {metric: indices(out, metric).attrs["caveats"] for metric in spec.outputs.metrics}


def _label(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path
