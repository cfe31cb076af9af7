"""The page's model: the controls of the browser view mapped onto a scenario and its overrides.

Mesa's SolaraViz rebuilds the model on Reset by calling the model class with the control values as
keyword arguments. `PageModel` is that class: it takes the scenario's name, a scale for the applied
tariff rates, a retaliation rule per government (`retaliation_<ECONOMY>`), scales for the Armington
elasticities and inventory days, and a seed, turns them into dotted-path overrides for
`load_scenario`, and builds a `SupplyChainModel` from the result. The scenarios offered are the files
in the scenario folders, so new scenarios appear without code changes.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from typing import Any

from sim.errors import ScenarioError
from sim.model import SupplyChainModel
from sim.scenario import DEFAULT_SCENARIO, Scenario, load_scenario, scenario_dirs
from sim.viz.server import SCENARIO_ENV

KEEP_RULE = "as in scenario"
RULES = (KEEP_RULE, "none", "tit_for_tat", "proportional", "escalate", "targeted")
RETALIATION_PREFIX = "retaliation_"


def scenario_names() -> list[str]:
    """Names of the scenarios found in the scenario folders (the picker's choices)."""
    return sorted({path.stem for folder in scenario_dirs() for path in folder.glob("*.yaml")})


def start_scenario() -> str:
    """The scenario the page opens with: `sim viz SCENARIO` (via the environment) or the default."""
    return os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO


def scenario_overrides(
    scenario: Scenario,
    *,
    tariff_scale: float = 1.0,
    elasticity_scale: float = 1.0,
    inventory_scale: float = 1.0,
    retaliation: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Dotted-path overrides that apply the page's controls to `scenario` (as loaded from its file).

    Tariff scale multiplies every applied tariff rate (or increase); the elasticity and inventory scales multiply
    each sector's Armington elasticity and inventory days; a retaliation rule other than
    `KEEP_RULE` replaces that government's rule (keeping its other settings) or adds one.
    """
    for name, value in (("tariff_scale", tariff_scale), ("elasticity_scale", elasticity_scale),
                        ("inventory_scale", inventory_scale)):
        if not value >= 0:
            raise ScenarioError(f"bad value {value}: allowed: a number >= 0", file=scenario.file, field=name)
    overrides: dict[str, Any] = {}
    if tariff_scale != 1.0:
        for i, entry in enumerate(scenario.tariffs.applied):
            kind = "rate" if entry.rate is not None else "increase"
            overrides[f"tariffs.applied.{i}.{kind}"] = getattr(entry, kind) * tariff_scale
    for sector in scenario.sectors:
        if elasticity_scale != 1.0:
            overrides[f"sectors.{sector.name}.armington_sigma"] = sector.armington_sigma * elasticity_scale
        if inventory_scale != 1.0:
            overrides[f"sectors.{sector.name}.inventory_days"] = max(sector.inventory_days * inventory_scale, 0.1)
    changed = {economy: rule for economy, rule in (retaliation or {}).items() if rule != KEEP_RULE}
    for economy, rule in changed.items():
        if rule not in RULES:
            raise ScenarioError(f"unknown rule '{rule}'; allowed: {', '.join(RULES)}", file=scenario.file,
                                field=f"retaliation.{economy}")
    if changed:
        rules = [r.model_dump(exclude_none=True) for r in scenario.retaliation]
        for entry in rules:
            entry["rule"] = changed.pop(entry["economy"], entry["rule"])
        rules += [{"economy": economy, "rule": rule} for economy, rule in changed.items()
                  if economy in scenario.economy_names]
        overrides["retaliation"] = rules
    return overrides


def parse_seed(seed: int | str | None) -> int | None:
    """The seed typed in the page: blank means the scenario's own seed."""
    if seed is None or (isinstance(seed, str) and not seed.strip()):
        return None
    try:
        return int(seed)
    except (TypeError, ValueError):
        raise ScenarioError(f"bad seed '{seed}': allowed: a whole number, or blank for the scenario's",
                            field="seed") from None


def page_scenario(
    scenario_name: str,
    tariff_scale: float = 1.0,
    elasticity_scale: float = 1.0,
    inventory_scale: float = 1.0,
    seed: int | str | None = None,
    retaliation: dict[str, str] | None = None,
) -> tuple[Scenario, int | None, dict[str, Any]]:
    """The scenario and seed the page's controls ask for, and the control values as the page shows them."""
    plain = load_scenario(scenario_name)
    retaliation = retaliation or {}
    overrides = scenario_overrides(plain, tariff_scale=float(tariff_scale), elasticity_scale=float(elasticity_scale),
                                   inventory_scale=float(inventory_scale), retaliation=retaliation)
    if plain.report.record != "all":  # the page charts every table
        overrides["report.record"] = "all"
    scenario = load_scenario(scenario_name, overrides) if overrides else plain
    seed_value = parse_seed(seed)
    shown = {
        "scenario_name": scenario_name,
        "tariff_scale": float(tariff_scale),
        "elasticity_scale": float(elasticity_scale),
        "inventory_scale": float(inventory_scale),
        "seed": "" if seed_value is None else str(seed_value),
    } | {f"{RETALIATION_PREFIX}{e}": retaliation.get(e, KEEP_RULE) for e in scenario.economy_names}
    return scenario, seed_value, shown


class PageModel(SupplyChainModel):
    """A `SupplyChainModel` built from the browser view's controls (Mesa calls it on Reset).

    `page_params` holds the control values the model was built with, so the page can show them.
    If the controls ask for something invalid (a seed that is not a number, a scenario file that
    does not load), the model is built from the start scenario with its own settings instead,
    `problem` holds the error (the page shows it, instead of a traceback) and `page_params` keep
    the values as entered, so the controls still show them for correction. Mesa may pass its own
    experiment object as `scenario`; the model is defined by `scenario_name`.
    """

    def __init__(
        self,
        scenario_name: str | None = None,
        tariff_scale: float = 1.0,
        elasticity_scale: float = 1.0,
        inventory_scale: float = 1.0,
        seed: int | str | None = None,
        **controls: Any,
    ):
        controls.pop("scenario", None)
        controls.pop("rng", None)
        unknown = [key for key in controls if not key.startswith(RETALIATION_PREFIX)]
        if unknown:
            raise ScenarioError(f"unknown control(s) {', '.join(unknown)}; allowed: scenario_name, tariff_scale, "
                                f"elasticity_scale, inventory_scale, seed, {RETALIATION_PREFIX}<ECONOMY>",
                                field=unknown[0])
        retaliation = {key.removeprefix(RETALIATION_PREFIX): str(rule) for key, rule in controls.items()}
        try:
            scenario, seed_value, shown = page_scenario(scenario_name or start_scenario(), tariff_scale,
                                                        elasticity_scale, inventory_scale, seed, retaliation)
        except ScenarioError as exc:
            scenario, seed_value, _ = page_scenario(start_scenario())
            problem = str(exc)
            shown = {"scenario_name": scenario_name or start_scenario(), "tariff_scale": tariff_scale,
                     "elasticity_scale": elasticity_scale, "inventory_scale": inventory_scale,
                     "seed": "" if seed is None else str(seed)} | {
                f"{RETALIATION_PREFIX}{e}": rule for e, rule in retaliation.items()}
        else:
            problem = None
        self._stepping = threading.RLock()  # see _advance_time
        super().__init__(scenario, rng=seed_value)
        self.problem: str | None = problem
        self.scenario_name = shown["scenario_name"]
        self.page_params: dict[str, Any] = shown

    def _wrapped_step(self) -> None:
        """Mesa's `step` (it advances the model's time by one, which runs `step` below), one caller at a time, as
        `_advance_time`: the time to reach is read inside the turn."""
        with self._stepping:
            super()._wrapped_step()

    def _advance_time(self, until: float) -> None:
        """Mesa's time advance (what `step`, `run_for` and `run_until` do), one caller at a time: Mesa plays in a
        thread, and a quick Pause and Play can leave the last Play's thread stepping beside the new one."""
        with self._stepping:
            super()._advance_time(until)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_stepping")  # a lock is not copied: a copy takes its own
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._stepping = threading.RLock()

    def step(self) -> None:
        """One step, unless the scenario's run is over: Mesa's controls may ask for several steps per press (the
        render interval) without looking at `running` in between, and the page never runs past the end. The
        step's per-link flows are copied out of the engine's buffers, which the next step rewrites while the
        page may still be drawing this one (Mesa steps in a thread)."""
        if self.running:
            super().step()
            flows = self.last_flows
            self.last_flows = dataclasses.replace(flows, shipped=flows.shipped.copy(), arrived=flows.arrived.copy(),
                                                  landed=flows.landed.copy())

    def retaliation_rules(self) -> dict[str, str]:
        """Each government's retaliation rule in force in this run ('none' when it has none)."""
        rules = {e: "none" for e in self.config.economy_names}
        rules.update({r.economy: r.rule for r in self.config.retaliation})
        return rules


def rule_choices(model: PageModel, economy: str) -> list[str]:
    """Rules the page offers a government: 'targeted' only if its scenario entry names the sectors to target."""
    entry = next((r for r in model.config.retaliation if r.economy == economy), None)
    targets = entry is not None and entry.sectors != "*"
    return [rule for rule in RULES if rule != "targeted" or targets]


def model_params(model: PageModel) -> dict[str, dict[str, Any]]:
    """Mesa `model_params` for the page: one control per setting, showing the values `model` was built with."""
    p = model.page_params
    params: dict[str, dict[str, Any]] = {
        "scenario_name": {"type": "Select", "value": p["scenario_name"],
                          "values": sorted({*scenario_names(), p["scenario_name"]}),
                          "label": "Scenario"},
        "tariff_scale": {"type": "SliderFloat", "value": p["tariff_scale"], "min": 0.0, "max": 3.0, "step": 0.1,
                         "label": "Applied tariffs (x scenario rates)"},
        "elasticity_scale": {"type": "SliderFloat", "value": p["elasticity_scale"], "min": 0.25, "max": 4.0,
                             "step": 0.25, "label": "Elasticity of substitution (x scenario)"},
        "inventory_scale": {"type": "SliderFloat", "value": p["inventory_scale"], "min": 0.25, "max": 4.0,
                            "step": 0.25, "label": "Inventory days (x scenario)"},
        "seed": {"type": "InputText", "value": p["seed"], "label": "Seed (blank: the scenario's)"},
    }
    rules = model.retaliation_rules()
    for economy in model.config.economy_names:
        key = f"{RETALIATION_PREFIX}{economy}"
        params[key] = {"type": "Select", "value": p.get(key, KEEP_RULE), "values": rule_choices(model, economy),
                       "label": f"Retaliation by {economy} (now: {rules[economy]})"}
    return params
