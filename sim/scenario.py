"""Scenario configs: the schema, its validation, loading from YAML and overrides by dotted path.

A scenario names the economies and sectors, gives an input-output table at country x sector level
(intermediate flows and final demand, annual values), says how many firms each cell holds and how
they link, sets inventories, lead times and elasticities, and lists the exogenous shocks (tariffs,
export controls, capacity losses). Everything a user can get wrong is checked here, once, and
reported as a `ScenarioError` naming the file, the field, the bad value and what is allowed, so
nothing downstream ever sees a half-valid config.
"""

from __future__ import annotations

import copy
import csv
import datetime
import difflib
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from sim.errors import ScenarioError, short_repr
from sim.yaml_text import load_yaml

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
Source = Annotated[str | None, Field(description="citation for the figures of the entry (free text)")]
DEFAULT_SCENARIO = "us_tariffs_2025"


class Strict(BaseModel):
    """Base of every config block: unknown keys are errors (catches typos)."""

    model_config = ConfigDict(extra="forbid", frozen=False)


class TimeConfig(Strict):
    steps_per_year: int = Field(365, gt=0, description="model steps per year; 365 = daily steps")
    steps: int = Field(365, gt=0, description="default run length in steps")
    start_date: datetime.date | None = Field(None, description="calendar date of day 0, for dated events")


class EconomyConfig(Strict):
    name: Name = Field(description="short name the rest of the scenario uses for the economy, e.g. US")
    label: str | None = Field(None, description="full name (free text), e.g. United States")
    source: Source = None


class SectorConfig(Strict):
    name: Name = Field(description="short name the rest of the scenario uses for the sector, e.g. chips")
    label: str | None = Field(None, description="full name (free text), e.g. Semiconductors")
    essential: bool = Field(True, description="as an input, a shortage of it stops production (Leontief)")
    inventory_days: float = Field(30.0, gt=0, description="target input inventory held by buyers, days of use")
    armington_sigma: float = Field(4.0, ge=0, description="elasticity of substitution between suppliers")
    final_demand_elasticity: float = Field(0.5, ge=0, description="price elasticity of final demand")
    qualification_days: float = Field(
        180.0, gt=0, description="time for a buyer to qualify a supplier for more than its contracted volume")
    single_origin_share: float = Field(
        0.4, ge=0, le=1, description="heterogeneous sourcing: share of buyers that buy this input from one economy")
    origin_concentration: float = Field(
        2.0, gt=0, description="heterogeneous sourcing: Dirichlet concentration of a diversified buyer's origin mix "
                               "around its cell's (smaller = more dispersed)")
    source: Source = None


class IntermediateFlow(Strict):
    exporter: Name = Field(description="economy of the supplying cell")
    sector: Name = Field(description="sector of the supplying cell (the good sold)")
    importer: Name = Field(description="economy of the buying cell (the exporter itself for a domestic flow)")
    buyer_sector: Name = Field(description="sector of the buying cell (the industry that uses the input)")
    value: float = Field(ge=0, description="annual value, in io.units")
    source: Source = None


class FinalDemandFlow(Strict):
    exporter: Name = Field(description="economy of the supplying cell")
    sector: Name = Field(description="sector of the supplying cell (the good sold)")
    importer: Name = Field(description="economy whose final demand buys it (the exporter itself for home sales)")
    value: float = Field(ge=0, description="annual value, in io.units")
    source: Source = None


class IOConfig(Strict):
    units: str = Field("USD_m_per_year", description="unit of the table's values and of money in reports (a label: "
                       "nothing is converted)")
    intermediate: list[IntermediateFlow] = Field(default_factory=list, description="annual flows between cells "
                                                 "(duplicates summed): records, or a CSV path relative to the "
                                                 "scenario file")
    final_demand: list[FinalDemandFlow] = Field(min_length=1, description="annual sales of cells to final demand "
                                                "(duplicates summed): records, or a CSV path relative to the scenario "
                                                "file")


class NetworkConfig(Strict):
    firms_per_cell: int = Field(10, ge=1, description="firms in each (economy, sector) cell with output")
    cells: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict, description="firms per cell for named cells, e.g. {MY.chips: 40}"
    )
    suppliers_per_buyer: int = Field(2, ge=1, description="supplier couplings drawn per block (link density)")
    size_tail_index: float = Field(1.5, gt=0, description="Pareto tail index of firm sizes (smaller = more skewed)")
    sourcing: Literal["heterogeneous", "homogeneous"] = Field(
        "heterogeneous", description="each buyer its own origin mix, or every buyer its cell's mix (docs/model.md)")


class LeadTimeRoute(Strict):
    exporter: Name = Field(description="economy shipped from")
    importer: Name = Field(description="economy shipped to")
    days: float = Field(gt=0, description="door-to-door lead time on the route, days (rounded to whole steps, at "
                        "least one)")
    source: Source = None


class LeadTimes(Strict):
    domestic_days: float = Field(2.0, gt=0, description="door-to-door lead time within an economy, days (rounded to "
                                 "whole steps, at least one)")
    international_days: float = Field(20.0, gt=0, description="door-to-door lead time between two economies, days "
                                      "(rounded to whole steps, at least one)")
    routes: list[LeadTimeRoute] = Field(default_factory=list, description="lead times of chosen (exporter, importer) "
                                        "routes, replacing the two defaults (first match wins)")

    def days(self, exporter: str, importer: str) -> float:
        """Door-to-door days from `exporter` to `importer`: the route's entry, else the default."""
        for route in self.routes:
            if (route.exporter, route.importer) == (exporter, importer):
                return route.days
        return self.domestic_days if exporter == importer else self.international_days


class EngineConfig(Strict):
    restoration_days: float = Field(10.0, gt=0, description="time to close an inventory gap")
    order_rule: Literal["ario", "signed_gap", "supply_line"] = Field(
        "supply_line", description="how orders close the inventory gap (docs/model.md, 'Orders')")
    supply_line_weight: float = Field(
        1.0, ge=0, le=1, description="supply_line rule: weight of the goods-in-transit gap against the stock gap")
    volume_flexibility: float | None = Field(
        0.25, ge=0, description="share above its baseline volume a link carries before the buyer has qualified the "
                                "supplier for more (sectors.*.qualification_days); null: no limit")
    target_smoothing_days: float = Field(
        365.0, gt=0, description="supply_line rule: memory of the expected demand stock targets are set for")
    price_adjustment_days: float = Field(30.0, gt=0, description="time for a price to reach unit cost")
    pass_through: float = Field(1.0, ge=0, le=1, description="share of a tariff passed to the buyer's price")
    switching_days: float = Field(60.0, gt=0, description="time for order shares to reach their target")
    demand_smoothing_days: float = Field(7.0, gt=0, description="memory of expected demand")
    spare_capacity: float = Field(0.1, ge=0, description="capacity above baseline output, as a share")
    search_days: float | None = Field(
        30.0, gt=0, description="days between supplier searches (docs/model.md, 'Supplier search'); null: buyers "
                                "keep the suppliers of the build")
    search_threshold: float = Field(
        0.1, gt=0, lt=1, description="share of an input's orders undelivered or overpriced that starts a search")
    search_price_rise: float = Field(
        0.2, ge=0, description="landed price above baseline, as a share, past which a supplier counts as overpriced")
    drop_share: float = Field(
        0.01, ge=0, lt=1, description="a link is dropped once its order share and its target fall below this share "
                                      "of its normal share")
    check_ledger: bool = Field(False, description="check the conservation ledger every step (slower)")


Targets = list[Name] | Literal["*"]


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) and value != "*" else value


class Dated(Strict):
    """An event window in days from day 0, or in calendar dates (needs time.start_date)."""

    start_day: float = Field(0.0, ge=0, description="first day in force, counted from day 0; or give start_date, not "
                             "both")
    end_day: float | None = Field(None, ge=0, description="day it stops, counted from day 0: in force while start_day "
                                  "<= day < end_day; null: no end")
    start_date: datetime.date | None = Field(None, description="first date in force, YYYY-MM-DD: sets start_day to "
                                             "the days since time.start_date (needed); not with start_day")
    end_date: datetime.date | None = Field(None, description="date it stops, YYYY-MM-DD: sets end_day to the days "
                                           "since time.start_date (needed); not with end_day")


MAX_RATE = 10.0  # 1,000%: above any tariff on record (the 2025 peak was 145% plus earlier duties)


class TariffEntry(Dated):
    """A duty on some of one importer's lines: `rate` sets the rate in force on them; `increase` is an
    additional duty on top of each line's calibration-year rate (as the 2025 US reciprocal tariffs came on
    top of MFN and Section 301 duties). Exactly one of the two is given; baseline entries give a rate."""

    importer: Name = Field(description="economy that levies the duty")
    exporters: Targets = Field("*", description="origin economies taxed, '*' for every other economy")
    sectors: Targets = Field("*", description="sectors taxed, '*' for all")
    rate: float | None = Field(None, ge=0, le=MAX_RATE, allow_inf_nan=False,
                               description="ad-valorem rate in force, as a fraction (0.25 = 25%)")
    increase: float | None = Field(None, ge=0, le=MAX_RATE, allow_inf_nan=False,
                                   description="additional duty over the calibration-year rate, as a fraction")
    source: Source = None

    _lists = field_validator("exporters", "sectors", mode="before")(_as_list)

    @model_validator(mode="after")
    def _one_amount(self) -> TariffEntry:
        if (self.rate is None) == (self.increase is None):
            raise ValueError("give exactly one of rate (the rate in force) and increase (an additional duty over "
                             "the calibration-year rate)")
        return self

    def on(self, baseline: Any) -> Any:
        """The rate this entry puts in force on lines whose calibration-year rate is `baseline`."""
        return self.rate if self.rate is not None else baseline + self.increase

    @property
    def amount(self) -> str:
        """'0.19' for a rate, '+0.1' for an increase (messages and the event log)."""
        return f"{self.rate:g}" if self.rate is not None else f"+{self.increase:g}"


class Exemption(Dated):
    """Lines kept at their calibration-year rate whatever the applied entries say (e.g. chips)."""

    importer: Name = Field(description="economy whose tariff lines are exempted")
    exporters: Targets = Field("*", description="origin economies covered, '*' for every other economy")
    sectors: Targets = Field(description="sectors kept at their calibration-year rate, '*' for all")
    source: Source = None

    _lists = field_validator("exporters", "sectors", mode="before")(_as_list)


class Tariffs(Strict):
    baseline: list[TariffEntry] = Field(default_factory=list, description="in force in the calibration year, "
                                          "all run long (their start and end are not used)")
    applied: list[TariffEntry] = Field(default_factory=list, description="changes simulated against it")
    exemptions: list[Exemption] = Field(default_factory=list, description="lines excluded from applied rates")


class ExportControl(Dated):
    exporter: Name = Field(description="economy that controls its exports")
    importers: Targets = Field("*", description="destination economies covered, '*' for every other economy")
    sectors: Targets = Field("*", description="sectors covered, '*' for all")
    share: float = Field(ge=0, le=1, description="share of the flows blocked (or delayed, see licensing_days)")
    licensing_days: float = Field(0.0, ge=0, description="if > 0, the share is delayed this long, not blocked")
    source: Source = None

    _lists = field_validator("importers", "sectors", mode="before")(_as_list)


class CapacityShock(Strict):
    cells: list[str] = Field(default_factory=list, description="cells hit, e.g. [MY.chips]")
    firms: list[Annotated[int, Field(ge=0)]] = Field(default_factory=list, description="firm indices hit")
    share: float = Field(gt=0, le=1, description="share of capacity lost")
    start_day: float = Field(0.0, ge=0, description="first day of the loss, counted from day 0")
    duration_days: float = Field(gt=0, description="days the full loss lasts, before the recovery ramp")
    recovery_days: float = Field(0.0, ge=0, description="linear ramp back to full capacity")
    source: Source = None


class Plant(Strict):
    cell: str = Field(description="cell 'ECONOMY.sector' whose firms it owns (drawn at random, up to share)")
    share: float = Field(gt=0, le=1, description="share of the cell's output made in these plants")
    source: Source = None


class Relocation(Strict):
    """Friend-shoring: move capacity between own plants when a tariff wedge persists."""

    sector: Name = Field(description="sector of the plants between which capacity moves")
    from_economy: Name = Field(description="economy of the own plants that lose capacity")
    to_economy: Name = Field(description="economy of the own plants that receive it")
    wedge_threshold: float = Field(0.1, ge=0, description="home tariff on 'from' minus on 'to' that triggers")
    persistence_days: float = Field(90.0, ge=0, description="how long the wedge must last")
    lag_days: float = Field(365.0, ge=0, description="investment lag from decision to first capacity")
    ramp_days: float = Field(180.0, gt=0, description="ramp from first to full capacity")
    share: float = Field(gt=0, le=1, description="share of the 'from' plants' capacity moved")
    cost_share: float = Field(0.1, ge=0, lt=1, description="share of the moved capacity lost in the move")
    source: Source = None


class MultinationalConfig(Strict):
    name: Name = Field(description="name of the multinational in results and the event log")
    home: Name = Field(description="economy of the parent company: its tariffs on the plants' goods make the tariff "
                       "bill and the relocation wedge")
    plants: list[Plant] = Field(min_length=1, description="shares of cells' output it owns")
    sourcing_sigma: float | None = Field(
        None, ge=0, description="elasticity between its own plants and others (None: the sector's)")
    relocations: list[Relocation] = Field(default_factory=list, description="friend-shoring plans between its own "
                                          "plants")


class TriggerConfig(Strict):
    export_drop_pct: float = Field(gt=0, le=100, description="act only if exports to the partner fell this much")
    window_days: float = Field(30.0, gt=0, description="over this window, against the baseline")


class RetaliationConfig(Strict):
    """How a government answers tariffs on its exports (docs/model.md, 'Policies')."""

    economy: Name = Field(description="economy whose government answers tariffs on its exports (one rule per economy)")
    rule: Literal["none", "tit_for_tat", "proportional", "escalate", "targeted"] = Field(
        "none", description="its answer: none, tit_for_tat, proportional (k), escalate (step) or targeted (sectors)")
    against: Targets = Field("*", description="partners it answers")
    delay_days: float = Field(0.0, ge=0, description="time to answer (at least one step)")
    k: float = Field(1.0, ge=0, description="proportional: answer k x the partner's increase")
    step: float = Field(0.1, gt=0, description="escalate: go this far above the partner's increase")
    cap: float | None = Field(None, ge=0, description="highest retaliatory increase")
    sectors: Targets = Field("*", description="lines of the partner's exports it taxes or controls")
    instrument: Literal["tariff", "export_control"] = Field("tariff", description="tariff: an additional duty on the "
                                                            "partner's goods; export_control: blocks that share of "
                                                            "its exports to the partner")
    share: float = Field(1.0, ge=0, le=1, description="targeted export control: share blocked")
    trigger: TriggerConfig | None = Field(None, description="hold the answer until exports to the partner have fallen "
                                          "(null: answer at once)")
    source: Source = None

    _lists = field_validator("against", "sectors", mode="before")(_as_list)


class Truce(Strict):
    """Both economies drop their retaliation against each other and start counting anew."""

    economies: list[Name] = Field(min_length=2, max_length=2, description="the two economies that drop their "
                                  "retaliation against each other")
    day: float = Field(ge=0, description="day of the truce, counted from day 0")
    source: Source = None


class OwnPlantsExemption(Strict):
    """Exempt a sector of a partner that does not retaliate when plants owned by this economy's
    multinationals make more than `threshold` of its imports of that sector from the partner."""

    economy: Name = Field(description="importing economy that grants the exemptions (its multinationals' plants count)")
    sectors: list[Name] = Field(min_length=1, description="sectors of the partners' goods that can be exempted")
    threshold: float = Field(gt=0, le=1, description="share of imports made by own multinationals' plants")
    partners: Targets = Field("*", description="exporting economies whose sectors can be exempted, '*' for every "
                              "other economy")
    start_day: float = Field(0.0, ge=0, description="day of the first review, counted from day 0")
    review_days: float = Field(30.0, gt=0, description="how often the rule is reviewed")
    source: Source = None

    _lists = field_validator("partners", mode="before")(_as_list)


class Acceptance(Strict):
    min_cut_share: float = Field(0.0, ge=0, le=1, description="accept only if the offer cuts at least this share")
    requires_no_retaliation: bool = Field(True, description="reject an offerer that retaliates against us")


class Concession(Strict):
    """Part of an offer: the offerer cuts its tariffs on the partner's goods of some sectors by a share of
    the rate in force (1 = to zero), e.g. 61% of a sector's lines to zero and the rest halved: cut 0.8."""

    sectors: Targets = Field(description="sectors of the partner's goods whose tariffs the offerer cuts, '*' for all")
    cut: float = Field(ge=0, le=1, description="share of the rate in force removed (1: duty-free)")
    source: Source = None

    _lists = field_validator("sectors", mode="before")(_as_list)


class Offer(Strict):
    """A concession (cut own tariffs on the partner's goods) for an exemption or a lower rate.

    `cut_share` is the share of the partner's tariff lines the offer covers, which the acceptance rule
    weighs; `concessions` say by how much the named sectors' tariffs fall. Every other sector's rate is
    cut by `cut_share` (all covered lines to zero, spread evenly over sectors)."""

    offerer: Name = Field(description="economy that cuts its tariffs on the partner's goods")
    partner: Name = Field(description="economy asked to exempt the offerer's sectors")
    day: float = Field(0.0, ge=0, description="day the partner decides on the offer, counted from day 0")
    cut_share: float = Field(ge=0, le=1, description="share of the partner's tariff lines the offer cuts")
    concessions: list[Concession] = Field(default_factory=list,
                                          description="cuts by sector (later ones win; others: cut_share)")
    exemption_sectors: Targets = Field(description="the offerer's sectors the partner is asked to exempt")
    exemption_rate: float | None = Field(None, ge=0, description="rate asked for (None: calibration-year rate)")
    acceptance: Acceptance = Field(default_factory=Acceptance, description="the partner's rule for accepting")
    source: Source = None

    _lists = field_validator("exemption_sectors", mode="before")(_as_list)


class Negotiation(Strict):
    own_plants_exemptions: list[OwnPlantsExemption] = Field(default_factory=list, description="rules exempting "
                                                            "partners' sectors made mostly by own multinationals' "
                                                            "plants")
    offers: list[Offer] = Field(default_factory=list, description="concessions offered for exemptions")


class Indicator(Strict):
    """A headline series: deliveries on chosen lines (or output of chosen cells), compared with the reference.

    `by` splits it into one row per sector, exporter or importer; `cross_border` keeps only trade
    between economies (exports, imports); `use` keeps deliveries to firms or to final demand.
    """

    name: str = Field(description="label of the indicator's row (split rows: 'name: sector or economy')")
    measure: Literal["deliveries", "output"] = Field("deliveries", description="deliveries: goods delivered on the "
                                                     "chosen lines; output: output of the chosen cells")
    exporters: Targets = Field("*", description="origin economies (output: the cells' economies)")
    importers: Targets = Field("*", description="destination economies of the deliveries, '*' for all")
    sectors: Targets = Field("*", description="sectors of the goods (output: of the cells), '*' for all")
    use: Literal["all", "intermediate", "final"] = Field("all", description="keep deliveries to firms (intermediate), "
                                                         "to final demand (final) or both (all)")
    cross_border: bool = Field(False, description="keep only deliveries between two different economies")
    by: Literal["sector", "exporter", "importer"] | None = Field(None, description="split into one row per sector, "
                                                                 "exporter or importer (null: one row)")
    source: Source = None

    _lists = field_validator("exporters", "importers", "sectors", mode="before")(_as_list)

    @model_validator(mode="after")
    def _output_has_no_trade_fields(self) -> Indicator:
        if self.measure == "output" and (self.importers != "*" or self.use != "all" or self.cross_border
                                         or self.by == "importer"):
            raise ValueError("an output indicator selects cells by exporters (their economies) and sectors only; "
                             "importers, use, cross_border and by: importer apply to deliveries")
        return self


class Diversion(Strict):
    """Trade diversion: the share of `toward` origins in `importer`'s imports of `sectors`, reference vs run."""

    name: str = Field(description="label of the diversion's rows in the table")
    importer: Name = Field(description="economy whose imports are compared (domestic supply excluded)")
    sectors: Targets = Field(description="sectors of the imports counted, '*' for all")
    toward: list[Name] = Field(min_length=1, description="origin economies whose combined share of the imports is "
                               "compared")
    away_from: list[Name] = Field(default_factory=list, description="origin economies whose combined share is "
                                  "reported too (empty: none)")

    _lists = field_validator("sectors", mode="before")(_as_list)


class ReportConfig(Strict):
    """What `sim run` puts in its headline table beside the totals."""

    indicators: list[Indicator] = Field(default_factory=list, description="headline series of deliveries or output, "
                                        "measured against the reference")
    diversion: list[Diversion] = Field(default_factory=list, description="import shares by origin, reference vs the "
                                       "last tenth of the run")


class CalibrationTarget(Strict):
    """A figure the calibrated IO table must reproduce (checked by `sim.calibration.check_targets`).

    `import_share`: the share of `exporter` in `importer`'s imports of `sectors` (domestic supply
    excluded); `output_share`: `economy`'s share of world output of `sectors`; `export_share`:
    `economy`'s share of world exports of `sectors`; `average_tariff`: `importer`'s baseline tariff on
    `exporter`'s goods of `sectors`, weighted by the table's flows on the route.
    """

    name: str = Field(description="label of the target in the calibration check")
    kind: Literal["import_share", "output_share", "export_share", "average_tariff"] = Field(
        description="which figure is compared (each kind is defined above)")
    sectors: list[Name] | Literal["*"] = Field(min_length=1, description="sectors the figure covers, '*' for all")
    economy: Name | None = Field(None, description="economy whose share is compared (output_share, export_share)")
    exporter: Name | None = Field(None, description="origin economy (import_share, average_tariff)")
    importer: Name | None = Field(None, description="importing economy (import_share, average_tariff)")
    value: float = Field(ge=0, le=1, description="the reported share")
    tolerance: float = Field(gt=0, le=1, description="allowed absolute difference")
    source: Source = None

    @model_validator(mode="after")
    def _needs(self) -> CalibrationTarget:
        needed = ("exporter", "importer") if self.kind in ("import_share", "average_tariff") else ("economy",)
        missing = [f for f in needed if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {self.kind} target needs {' and '.join(needed)}")
        return self


class Scenario(Strict):
    """A validated scenario. Build with `load_scenario` (files) or `Scenario.from_dict`."""

    name: str = Field("scenario", description="name in results and logs; sim run writes to results/<name> by default")
    description: str = Field("", description="one-line summary shown by sim list (free text)")
    extends: str | None = Field(None, description="scenario this file is merged over: a path relative to it or a "
                                "scenario name (mappings merge, lists replace)")
    seed: int = Field(0, description="random seed of the network draw and the model when the run gives none (sim run "
                      "--seed)")
    time: TimeConfig = Field(default_factory=TimeConfig, description="steps per year, run length and the date of day 0")
    economies: list[EconomyConfig] = Field(min_length=1, description="the economies, each named once")
    sectors: list[SectorConfig] = Field(min_length=1, description="the sectors, each named once, with their "
                                        "inventory, substitution and qualification settings")
    io: IOConfig = Field(description="the input-output table: annual intermediate flows and final demand")
    network: NetworkConfig = Field(default_factory=NetworkConfig, description="how many firms each cell holds and how "
                                   "they are linked")
    lead_times: LeadTimes = Field(default_factory=LeadTimes, description="door-to-door shipping times, days")
    engine: EngineConfig = Field(default_factory=EngineConfig, description="behaviour of firms and buyers: orders, "
                                 "prices, substitution, supplier search")
    tariffs: Tariffs = Field(default_factory=Tariffs, description="calibration-year rates, the changes simulated and "
                             "exemptions")
    export_controls: list[ExportControl] = Field(default_factory=list, description="shares of an exporter's shipments "
                                                 "blocked or held for licensing, each over a window")
    capacity_shocks: list[CapacityShock] = Field(default_factory=list, description="exogenous capacity losses of "
                                                 "cells or firms")
    multinationals: list[MultinationalConfig] = Field(default_factory=list, description="parent companies owning "
                                                      "plants (shares of cells' output) in several economies")
    retaliation: list[RetaliationConfig] = Field(default_factory=list, description="how governments answer tariffs on "
                                                 "their exports (one rule per economy)")
    truces: list[Truce] = Field(default_factory=list, description="days on which two economies drop their retaliation "
                                "against each other")
    targets: list[CalibrationTarget] = Field(default_factory=list, description="figures the IO table reproduces")
    report: ReportConfig = Field(default_factory=ReportConfig, description="headline indicators and trade diversion "
                                 "that sim run reports")
    negotiation: Negotiation = Field(default_factory=Negotiation, description="own-plants exemptions and offers of "
                                     "concessions")
    _file: str | None = PrivateAttr(None)

    @property
    def file(self) -> str | None:
        """The YAML file this scenario was read from, if any (used in error messages)."""
        return self._file

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, file: str | None = None) -> Scenario:
        """Validate a raw mapping (as read from YAML); errors name `file` and the field."""
        try:
            scenario = cls.model_validate(raw)
        except ValidationError as exc:
            raise first_error(exc, raw, file) from None
        scenario._file = file
        _check_consistency(scenario, file)
        return scenario

    # -- names and indices --------------------------------------------------------------------
    @property
    def economy_names(self) -> list[str]:
        return [e.name for e in self.economies]

    @property
    def sector_names(self) -> list[str]:
        return [s.name for s in self.sectors]

    def cell_index(self, cell: str, field: str = "cell") -> int:
        """Index of 'ECONOMY.sector' in economy-major order; a clear error if either is unknown."""
        economy, _, sector = cell.partition(".")
        econ = _lookup(economy, self.economy_names, "economy", field, self._file)
        sect = _lookup(sector, self.sector_names, "sector", field, self._file)
        return econ * len(self.sectors) + sect

    def cell_name(self, index: int) -> str:
        n_sectors = len(self.sectors)
        return f"{self.economies[index // n_sectors].name}.{self.sectors[index % n_sectors].name}"

    def steps(self, days: float) -> float:
        """Convert a duration in days to model steps (fractional)."""
        return days * self.time.steps_per_year / 365.0

    # -- the input-output table ---------------------------------------------------------------
    def io_blocks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Non-zero blocks of the table, per step, duplicates summed.

        Returns (supplier_cell, buyer_cell, value) for intermediate flows and
        (supplier_cell, importer, value) for final demand, values divided by steps_per_year.
        """
        n_sectors = len(self.sectors)
        econ = {n: i for i, n in enumerate(self.economy_names)}
        sect = {n: i for i, n in enumerate(self.sector_names)}
        per_step = 1.0 / self.time.steps_per_year
        z = self.io.intermediate
        sup = np.array([econ[f.exporter] * n_sectors + sect[f.sector] for f in z], dtype=np.int64)
        buy = np.array([econ[f.importer] * n_sectors + sect[f.buyer_sector] for f in z], dtype=np.int64)
        val = np.array([f.value for f in z], dtype=float) * per_step
        y = self.io.final_demand
        fsup = np.array([econ[f.exporter] * n_sectors + sect[f.sector] for f in y], dtype=np.int64)
        fimp = np.array([econ[f.importer] for f in y], dtype=np.int64)
        fval = np.array([f.value for f in y], dtype=float) * per_step
        n_cells = len(self.economies) * n_sectors
        sup, buy, val = _sum_duplicates(sup, buy, val, n_cells)
        fsup, fimp, fval = _sum_duplicates(fsup, fimp, fval, len(self.economies))
        return sup, buy, val, fsup, fimp, fval

    def gross_output(self) -> np.ndarray:
        """X = Z.1 + Y.1 per cell, per step."""
        sup, _, val, fsup, _, fval = self.io_blocks()
        n_cells = len(self.economies) * len(self.sectors)
        return np.bincount(sup, val, n_cells) + np.bincount(fsup, fval, n_cells)

    def io_matrices(self) -> tuple[np.ndarray, np.ndarray]:
        """Dense Z (cells x cells) and Y (cells x economies), per step, from the table."""
        sup, buy, val, fsup, fimp, fval = self.io_blocks()
        n_cells = len(self.economies) * len(self.sectors)
        z = np.zeros((n_cells, n_cells))
        np.add.at(z, (sup, buy), val)
        y = np.zeros((n_cells, len(self.economies)))
        np.add.at(y, (fsup, fimp), fval)
        return z, y

    def firms_in_cell(self) -> np.ndarray:
        """Number of firms per cell (0 for cells without output)."""
        output = self.gross_output()
        counts = np.where(output > 0, self.network.firms_per_cell, 0)
        for cell, n in self.network.cells.items():
            counts[self.cell_index(cell, f"network.cells.{cell}")] = n
        return counts

    def without_shocks(self) -> Scenario:
        """The no-policy baseline: same network and settings, every field of POLICY_FIELDS at its default
        (no applied tariffs, exemptions, controls, shocks, retaliation, truces or negotiation)."""
        baseline = self.model_copy(deep=True)
        for path in POLICY_FIELDS:
            *parents, name = path.split(".")
            owner = baseline
            for part in parents:
                owner = getattr(owner, part)
            setattr(owner, name, copy.deepcopy(type(owner).model_fields[name].get_default(call_default_factory=True)))
        baseline.name = f"{self.name} (baseline)"
        baseline._file = self._file
        return baseline


# The fields the no-policy baseline resets (Scenario.without_shocks): a change to any other field may change
# the baseline run, a change to these alone never does (sim.sweep.worker reuses baselines on this basis).
POLICY_FIELDS = ("tariffs.applied", "tariffs.exemptions", "export_controls", "capacity_shocks", "retaliation",
                 "truces", "negotiation")


def policy_field(path: str) -> bool:
    """Whether the dotted path `path` lies in one of POLICY_FIELDS."""
    return any(path == name or path.startswith(name + ".") for name in POLICY_FIELDS)


# ---------------------------------------------------------------------------------------------
# consistency checks beyond the schema


def _lookup(name: str, allowed: list[str], what: str, field: str, file: str | None) -> int:
    try:
        return allowed.index(name)
    except ValueError:
        hint = difflib.get_close_matches(name, allowed, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        raise ScenarioError(
            f"unknown {what} '{name}'{suggestion}; declared {'economies' if what == 'economy' else what + 's'}: "
            f"{', '.join(allowed)}",
            file=file,
            field=field,
        ) from None


def _check_targets(values: Any, allowed: list[str], what: str, field: str, file: str | None) -> None:
    if values != "*":
        for i, v in enumerate(values):
            _lookup(v, allowed, what, f"{field}[{i}]", file)


# config fields that name economies or sectors (a name, a list of names, or "*")
ECONOMY_FIELDS = {"exporter", "importer", "exporters", "importers", "home", "economy", "against", "partners",
                  "offerer", "partner", "economies", "toward", "away_from"}
SECTOR_FIELDS = {"sector", "sectors", "buyer_sector", "exemption_sectors"}


@functools.cache
def _name_fields(model: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """The fields of `model` that hold economy or sector names, each with which of the two it holds."""
    return tuple((name, "economy" if name in ECONOMY_FIELDS else "sector") for name in model.model_fields
                 if name in ECONOMY_FIELDS or name in SECTOR_FIELDS)


def _check_consistency(s: Scenario, file: str | None) -> None:
    """Cross-field checks: names exist, the table is a valid IO table, shocks point at real cells."""
    econs, sects = s.economy_names, s.sector_names
    for names, what in ((econs, "economies"), (sects, "sectors")):
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ScenarioError(f"{what} declared twice: {', '.join(dupes)}", file=file, field=what)
    references = {
        "io.intermediate": s.io.intermediate,
        "io.final_demand": s.io.final_demand,
        "lead_times.routes": s.lead_times.routes,
        "tariffs.baseline": s.tariffs.baseline,
        "tariffs.applied": s.tariffs.applied,
        "tariffs.exemptions": s.tariffs.exemptions,
        "export_controls": s.export_controls,
        "multinationals": s.multinationals,
        "retaliation": s.retaliation,
        "negotiation.own_plants_exemptions": s.negotiation.own_plants_exemptions,
        "negotiation.offers": s.negotiation.offers,
        "truces": s.truces,
        "targets": s.targets,
        "report.indicators": s.report.indicators,
        "report.diversion": s.report.diversion,
    }
    known = {"economy": (econs, set(econs)), "sector": (sects, set(sects))}
    for prefix, items in references.items():
        for i, item in enumerate(items):
            for name, what in _name_fields(type(item)):
                value = getattr(item, name)
                if value is None or value == "*":
                    continue
                allowed, members = known[what]
                given = [value] if isinstance(value, str) else value
                if not members.issuperset(given):  # the message, with its field, only when a name is unknown
                    field = f"{prefix}[{i}].{name}"
                    if isinstance(value, str):
                        _lookup(value, allowed, what, field, file)
                    _check_targets(value, allowed, what, field, file)
            if isinstance(item, Dated):
                _resolve_dates(item, s.time.start_date, f"{prefix}[{i}]", file)
                _check_window(item.start_day, item.end_day, f"{prefix}[{i}]", file)

    for prefix, items, own, partners in (("tariffs.baseline", s.tariffs.baseline, "importer", "exporters"),
                                         ("tariffs.applied", s.tariffs.applied, "importer", "exporters"),
                                         ("tariffs.exemptions", s.tariffs.exemptions, "importer", "exporters"),
                                         ("export_controls", s.export_controls, "exporter", "importers")):
        for i, item in enumerate(items):
            if getattr(item, partners) != "*" and getattr(item, own) in getattr(item, partners):
                raise ScenarioError(f"{getattr(item, own)} is among its own {partners}: policies fall on "
                                    f"cross-border trade; allowed: other economies, or \"*\" for every other",
                                    file=file, field=f"{prefix}[{i}].{partners}")
    for i, entry in enumerate(s.tariffs.baseline):
        if entry.increase is not None:
            raise ScenarioError("a baseline entry defines the calibration-year rate, so it cannot add to it; "
                                "allowed: rate", file=file, field=f"tariffs.baseline[{i}].increase")
    for i, offer in enumerate(s.negotiation.offers):
        for j, concession in enumerate(offer.concessions):
            if concession.sectors != "*":
                _check_targets(concession.sectors, sects, "sector",
                               f"negotiation.offers[{i}].concessions[{j}].sectors", file)

    sup, buy, val, fsup, _, fval = s.io_blocks()
    n_cells = len(econs) * len(sects)
    output = np.bincount(sup, val, n_cells) + np.bincount(fsup, fval, n_cells)
    inputs = np.bincount(buy, val, n_cells)
    for cell in np.flatnonzero((output <= 0) & (inputs > 0)):
        raise ScenarioError(
            f"zero-output cell {s.cell_name(cell)} buys inputs worth {inputs[cell] * s.time.steps_per_year:g} "
            f"{s.io.units}: a cell that sells nothing cannot use inputs; add its sales or remove its purchases",
            file=file,
            field="io.intermediate",
        )
    for cell in np.flatnonzero(inputs > output * (1 + 1e-12)):
        raise ScenarioError(
            f"cell {s.cell_name(cell)} buys more inputs ({inputs[cell] * s.time.steps_per_year:g}) than its "
            f"gross output ({output[cell] * s.time.steps_per_year:g} {s.io.units}): value added would be "
            "negative; allowed: inputs <= sales + final demand",
            file=file,
            field="io.intermediate",
        )
    for cell, n in s.network.cells.items():
        index = s.cell_index(cell, f"network.cells.{cell}")
        if n == 0 and output[index] > 0:
            raise ScenarioError(
                f"cell {cell} is given 0 firms but has output {output[index] * s.time.steps_per_year:g} "
                f"{s.io.units} (it sells to others): allowed: at least 1 firm in a cell with output",
                file=file,
                field=f"network.cells.{cell}",
            )
        if n > 0 and output[index] <= 0:
            raise ScenarioError(
                f"cell {cell} is given {n} firms but has no output in the io table; allowed: 0 firms, or "
                "add flows from this cell",
                file=file,
                field=f"network.cells.{cell}",
            )
    for i, shock in enumerate(s.capacity_shocks):
        where = f"capacity_shocks[{i}]"
        if not shock.cells and not shock.firms:
            raise ScenarioError("a capacity shock needs 'cells' or 'firms' to hit", file=file, field=where)
        for j, cell in enumerate(shock.cells):
            index = s.cell_index(cell, f"{where}.cells[{j}]")
            if output[index] <= 0:
                raise ScenarioError(
                    f"cell {cell} has no output, so no capacity to lose", file=file, field=f"{where}.cells[{j}]"
                )
    for i, m in enumerate(s.multinationals):
        for j, plant in enumerate(m.plants):
            s.cell_index(plant.cell, f"multinationals[{i}].plants[{j}].cell")
        cells = {plant.cell for plant in m.plants}
        for j, move in enumerate(m.relocations):
            where = f"multinationals[{i}].relocations[{j}]"
            for end in ("from_economy", "to_economy"):
                cell = f"{getattr(move, end)}.{move.sector}"
                s.cell_index(cell, f"{where}.{end}")
                if cell not in cells:
                    raise ScenarioError(f"{m.name} has no plants in {cell}; allowed: cells of its plants "
                                        f"({', '.join(sorted(cells))})", file=file, field=f"{where}.{end}")
    _check_contradictions(s, file)
    answered = set()
    for i, r in enumerate(s.retaliation):
        where = f"retaliation[{i}]"
        if r.economy in answered:
            raise ScenarioError(f"economy {r.economy} has a retaliation rule already; allowed: one per economy",
                                file=file, field=f"{where}.economy")
        answered.add(r.economy)
        if r.rule == "targeted" and r.sectors == "*":
            raise ScenarioError("a targeted rule needs its 'sectors' (e.g. [rare_earths])", file=file,
                                field=f"{where}.sectors")
    for i, offer in enumerate(s.negotiation.offers):
        if offer.offerer == offer.partner:
            raise ScenarioError("an economy cannot make an offer to itself", file=file,
                                field=f"negotiation.offers[{i}].partner")
    min_inventory = min(sec.inventory_days for sec in s.sectors)
    if s.steps(min_inventory) < 1:
        bad = min(s.sectors, key=lambda sec: sec.inventory_days)
        raise ScenarioError(
            f"inventory_days {bad.inventory_days:g} is shorter than one step ({365 / s.time.steps_per_year:g} "
            "days); allowed: at least one step of inventory",
            file=file,
            field=f"sectors.{bad.name}.inventory_days",
        )


def _resolve_dates(entry: Dated, start_date: datetime.date | None, where: str, file: str | None) -> None:
    """Turn start_date/end_date into days from time.start_date; dates before it are errors."""
    for date_field, day_field in (("start_date", "start_day"), ("end_date", "end_day")):
        date = getattr(entry, date_field)
        if date is None:
            continue
        if start_date is None:
            raise ScenarioError(f"a dated event needs time.start_date (the date of day 0); got {date_field} {date}",
                                file=file, field=f"{where}.{date_field}")
        if day_field in entry.model_fields_set:
            raise ScenarioError(f"give {date_field} or {day_field}, not both", file=file, field=f"{where}.{date_field}")
        days = (date - start_date).days
        if days < 0:
            raise ScenarioError(f"{date_field} {date} is before the scenario's start date {start_date}; "
                                f"allowed: {start_date} or later", file=file, field=f"{where}.{date_field}")
        setattr(entry, day_field, float(days))


def _lines(partners: Any, sectors: Any, economies: list[str], all_sectors: list[str]) -> set[tuple[str, str]]:
    """The (partner, sector) lines an entry covers ('*' = all)."""
    partners = economies if partners == "*" else partners
    sectors = all_sectors if sectors == "*" else sectors
    return {(p, q) for p in partners for q in sectors}


def _check_contradictions(s: Scenario, file: str | None) -> None:
    """Two tariff entries starting together on common lines must agree, unless one is an exemption
    (its lines a strict subset of the other's), which then takes precedence on those lines."""
    entries = s.tariffs.applied
    econs, sects = s.economy_names, s.sector_names
    for i, a in enumerate(entries):
        for j in range(i + 1, len(entries)):
            b = entries[j]
            if a.importer != b.importer or a.start_day != b.start_day or a.amount == b.amount:
                continue
            la = _lines(a.exporters, a.sectors, econs, sects)
            lb = _lines(b.exporters, b.sectors, econs, sects)
            common = la & lb
            if common and not (la < lb or lb < la):
                example = sorted(common)[0]
                raise ScenarioError(
                    f"contradictory events: tariffs.applied[{i}] ({a.amount}) and tariffs.applied[{j}] ({b.amount}) "
                    f"both set {a.importer}'s tariff on {example[0]} {example[1]} from day {a.start_day:g}; "
                    "allowed: one rate per line and start day, or an exemption on a subset of the lines",
                    file=file, field=f"tariffs.applied[{j}]")


def _check_window(start: float, end: float | None, where: str, file: str | None) -> None:
    if end is not None and end <= start:
        raise ScenarioError(
            f"end_day {end:g} is not after start_day {start:g}; allowed: end_day > start_day or no end_day",
            file=file,
            field=f"{where}.end_day",
        )


def _sum_duplicates(a: np.ndarray, b: np.ndarray, v: np.ndarray, nb: int):
    key = a * nb + b
    uniq, inverse = np.unique(key, return_inverse=True)
    sums = np.bincount(inverse, v, len(uniq))
    keep = sums > 0
    return uniq[keep] // nb, uniq[keep] % nb, sums[keep]


def _loc_to_field(loc: tuple) -> str:
    field = ""
    for part in loc:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    return field


def _resolve(raw: Any, loc: tuple) -> Any:
    node = raw
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def first_error(exc: ValidationError, raw: Any, file: str | None, root: type[BaseModel] | None = None) -> ScenarioError:
    """Turn pydantic's first error into a message with the field, the value and what is allowed;
    `root` is the model validated (the scenario by default), for listing allowed keys."""
    errors = exc.errors()
    # an unknown key next to a missing one is usually a misspelling of it: report the unknown key
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("list[", "literal["))))
    field = _loc_to_field(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1], root or Scenario)
        allowed = sorted(parent.model_fields) if parent else []
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        return ScenarioError(
            f"unknown key '{loc[-1]}'{suggestion}; allowed keys here: {', '.join(allowed)}", file=file, field=field
        )
    if kind == "missing":
        return ScenarioError("required field is missing", file=file, field=field)
    value = _resolve(raw, loc)
    return ScenarioError(f"bad value {short_repr(value)}: {err['msg']}", file=file, field=field)


def _model_at(loc: tuple, root: type[BaseModel] | None = None) -> type[BaseModel] | None:
    """The config class under `root` (the scenario by default) that owns the field at `loc`."""
    model: Any = root or Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        for candidate in (annotation, *getattr(annotation, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                model = candidate
                break
        else:
            return None
    return model


# ---------------------------------------------------------------------------------------------
# files, inheritance and overrides


def config_dirs(kind: str) -> list[Path]:
    """Folders searched for configs of `kind` ('scenarios', 'sweeps') named without a path: the
    repository's and the wheel's."""
    here = Path(__file__).resolve().parent
    return [p for p in (here.parent / "configs" / kind, here / "configs" / kind) if p.is_dir()]


def scenario_dirs() -> list[Path]:
    """Folders searched for scenarios named without a path."""
    return config_dirs("scenarios")


def resolve_config(name_or_path: str | Path, kind: str = "scenarios") -> Path:
    """A config file from a path or a bare name such as 'us_tariffs_2025' (kind 'scenarios') or
    'tiny_grid' (kind 'sweeps'); an unknown name lists the known ones."""
    what = {"scenarios": "scenario", "sweeps": "sweep"}[kind]
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ScenarioError(f"{what} file not found: {path}")
        return path
    for folder in config_dirs(kind):
        candidate = folder / f"{path.name}.yaml"
        if candidate.is_file():
            return candidate
    known = sorted({p.stem for folder in config_dirs(kind) for p in folder.glob("*.yaml")})
    raise ScenarioError(f"no {what} named '{name_or_path}'; known {kind}: {', '.join(known)}")


def resolve_path(name_or_path: str | Path) -> Path:
    """A scenario file from a path or a bare name such as 'us_tariffs_2025'."""
    return resolve_config(name_or_path, "scenarios")


def read_yaml(path: Path, what: str = "scenario") -> dict:
    """The mapping a YAML file holds; unreadable, non-text or malformed files are one-line errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"not a text file: byte {exc.start} is not UTF-8; allowed: a YAML text file",
                            file=str(path)) from None
    raw = load_yaml(text, file=str(path))
    if not isinstance(raw, dict):
        raise ScenarioError(
            f"the file must hold a mapping of {what} fields, found {type(raw).__name__}", file=str(path)
        )
    return raw


def _load_raw(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """Read a YAML file and merge it over the file it `extends` (dicts merge, lists replace)."""
    path = path.resolve()
    if path in seen:
        raise ScenarioError("'extends' forms a cycle", file=str(path), field="extends")
    raw = read_yaml(path)
    _read_io_tables(raw, path)
    _read_tariff_table(raw, path)
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise ScenarioError(f"'extends' is a {type(parent).__name__}; allowed: the file name or path of a scenario",
                            file=str(path), field="extends")
    parent_path = (path.parent / parent) if not Path(parent).is_absolute() else Path(parent)
    if not parent_path.is_file() and not Path(parent).suffix:  # a scenario name, e.g. baseline_2024
        try:
            parent_path = resolve_path(parent)
        except ScenarioError as exc:
            raise ScenarioError(str(exc), file=str(path), field="extends") from None
    if not parent_path.is_file():
        raise ScenarioError(f"file to extend not found: {parent_path}", file=str(path), field="extends")
    try:
        return deep_merge(_load_raw(parent_path, (*seen, path)), raw)
    except TypeError as exc:  # a `key+:` list appended to a value that is not a list
        raise ScenarioError(str(exc), file=str(path)) from None


IO_TABLE_COLUMNS = {
    "intermediate": ["exporter", "sector", "importer", "buyer_sector", "value"],
    "final_demand": ["exporter", "sector", "importer", "value"],
}
TARIFF_TABLE_COLUMNS = ["importer", "exporter", "sector", "rate", "flag", "source"]
FLAGS = ("V", "S", "D", "U")  # read in a named source, secondary, derived, unverified (docs/calibration.md)


def _read_io_tables(raw: dict, path: Path) -> None:
    """Replace `io.intermediate` / `io.final_demand` given as a CSV path (relative to `path`) by its rows.

    Columns are those of the YAML records plus an optional `source`; a value that is not a number is
    reported with the CSV file, its row and the column.
    """
    io = raw.get("io")
    if not isinstance(io, dict):
        return
    for key, required in IO_TABLE_COLUMNS.items():
        table = io.get(key)
        if isinstance(table, str):
            io[key] = _read_table(path, table, required, "value", ("source",), f"io.{key}")


def _read_tariff_table(raw: dict, path: Path) -> None:
    """Replace `tariffs.baseline` given as a CSV path by one entry per row (importer, exporter, sector, rate,
    flag, source); the flag (V, S, D or U) leads the entry's source, as in the YAML entries."""
    tariffs = raw.get("tariffs")
    if not isinstance(tariffs, dict) or not isinstance(tariffs.get("baseline"), str):
        return
    rows = _read_table(path, tariffs["baseline"], TARIFF_TABLE_COLUMNS, "rate", (), "tariffs.baseline")
    table = str((path.parent / tariffs["baseline"]).resolve())
    # names are checked here when this file declares them, so that errors name the table's row
    names = {key: {item.get("name") for item in raw.get(key) or [] if isinstance(item, dict)} or None
             for key in ("economies", "sectors")}
    kinds = (("importer", "economies", "economy"), ("exporter", "economies", "economy"),
             ("sector", "sectors", "sector"))
    entries, seen = [], {}
    for line, row in enumerate(rows, start=2):
        problem = None
        if not (np.isfinite(row["rate"]) and row["rate"] >= 0):
            problem = "rate", f"rate {row['rate']:g}; allowed: a finite number >= 0"
        elif row["flag"] not in FLAGS:
            problem = "flag", f"flag {row['flag']!r}; allowed: {', '.join(FLAGS)}"
        elif row["importer"] == row["exporter"]:
            problem = "exporter", f"{row['importer']} on its own goods; allowed: cross-border lines only"
        elif (row["importer"], row["exporter"], row["sector"]) in seen:
            problem = "sector", (f"{row['importer']}/{row['exporter']}/{row['sector']} is also on row "
                                 f"{seen[row['importer'], row['exporter'], row['sector']]}; allowed: one row per line")
        for field, key, what in kinds:
            if problem is None and names[key] is not None and row[field] not in names[key]:
                problem = field, f"unknown {what} {row[field]!r}; allowed: {', '.join(sorted(names[key]))}"
        if problem is not None:
            raise ScenarioError(f"row {line}: {problem[1]}", file=table, field=f"tariffs.baseline.{problem[0]}")
        seen[row["importer"], row["exporter"], row["sector"]] = line
        entries.append({"importer": row["importer"], "exporters": [row["exporter"]], "sectors": [row["sector"]],
                        "rate": row["rate"], "source": f"{row['flag']}: {row['source']}"})
    tariffs["baseline"] = entries


def _read_table(path: Path, table: str, required: list[str], numeric: str, optional: tuple[str, ...],
                field: str) -> list[dict]:
    """The rows of the CSV file `table` (relative to the scenario file `path`), with `numeric` as a float."""
    csv_path = (path.parent / table).resolve()
    try:
        with open(csv_path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            twice = sorted({c for c in header if header.count(c) > 1})
            if twice:
                raise ScenarioError(f"column(s) {', '.join(twice)} appear twice in the header; allowed: each column "
                                    "once", file=str(csv_path), field=field)
            missing = [c for c in required if c not in header]
            if missing:
                also = f" (and optionally {', '.join(optional)})" if optional else ""
                raise ScenarioError(f"missing column(s) {', '.join(missing)}; required: {', '.join(required)}{also}",
                                    file=str(csv_path), field=field)
            rows = []
            for line, row in enumerate(reader, start=2):
                if row.get(None) or None in row.values():
                    raise ScenarioError(f"row {line} has {'more' if row.get(None) else 'fewer'} fields than the "
                                        f"header ({len(header)}); allowed: one value per column",
                                        file=str(csv_path), field=field)
                try:
                    row[numeric] = float(row[numeric])
                except (TypeError, ValueError):
                    raise ScenarioError(f"row {line}: {numeric} {row[numeric]!r} is not a number",
                                        file=str(csv_path), field=numeric) from None
                rows.append({k: v for k, v in row.items() if k in (*required, *optional)})
    except OSError as exc:
        raise ScenarioError(f"cannot read the {field} table {csv_path}: {exc.strerror}",
                            file=str(path), field=field) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"not a text file: byte {exc.start} is not UTF-8; allowed: a CSV text file",
                            file=str(csv_path), field=field) from None
    return rows


def deep_merge(base: dict, update: Mapping) -> dict:
    """`update` over `base`: mappings merge key by key, other values replace, and a key written with a
    trailing `+` (e.g. `applied+:`) appends its list to the base's list of that name."""
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(key, str) and key.endswith("+") and isinstance(value, list):
            name = key[:-1]
            if not isinstance(merged.get(name) or [], list):
                raise TypeError(f"'{key}' appends to a list, but '{name}' is a {type(merged[name]).__name__}; "
                                f"allowed: '{key}' on list fields only")
            merged[name] = [*(merged.get(name) or []), *copy.deepcopy(value)]
        elif isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def parse_override(text: str) -> tuple[str, Any]:
    """'engine.restoration_days=30' -> ('engine.restoration_days', 30); the value is read as YAML."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise ScenarioError(f"override '{text}' is not of the form path.to.field=value", field="--set")
    return path.strip(), load_yaml(value, field=path.strip())


def apply_overrides(raw: dict, overrides: Mapping[str, Any], *, file: str | None = None) -> dict:
    """`raw` with fields set by dotted path (list items addressed by index or by their `name`). `raw` is
    not changed: the mappings and lists along each path are copied, the rest is shared with it."""
    raw = dict(raw)
    for path, value in overrides.items():
        parts = path.split(".")
        node: Any = raw
        for depth, part in enumerate(parts[:-1]):
            node = _step_into(node, part, parts[: depth + 1], path, file, create=True)
        last = parts[-1]
        if isinstance(node, list):
            index = _list_index(node, last, path, file)
            node[index] = copy.deepcopy(value)
        elif isinstance(node, dict):
            node[last] = copy.deepcopy(value)
        else:
            raise ScenarioError(f"cannot set a field inside a {type(node).__name__}", file=file, field=path)
    return raw


def _list_index(node: list, part: str, path: str, file: str | None) -> int:
    if part.lstrip("-").isdigit() and -len(node) <= int(part) < len(node):
        return int(part)
    names = [_item_name(item) for item in node]
    if part in names:
        return names.index(part)
    named = [str(n) for n in names if n is not None]
    raise ScenarioError(
        f"no list item '{part}'; allowed: an index below {len(node)}"
        + (f" or one of {', '.join(named)}" if named else ""),
        file=file,
        field=path,
    )


ITEM_KEYS = ("name", "economy")  # what names a list item in an override path: sectors by name, rules by economy


def _item_name(item: Any) -> Any:
    """The name an override path may use for a list item (None if it has none)."""
    if isinstance(item, dict):
        return next((item[key] for key in ITEM_KEYS if item.get(key) is not None), None)
    return None


def _step_into(node: Any, part: str, prefix: list[str], path: str, file: str | None, create: bool) -> Any:
    """The child `part` of `node` (a list or mapping), replaced in `node` by a shallow copy of it, which
    is returned: what an override then changes is never shared with the caller's mapping."""
    if isinstance(node, list):
        index = _list_index(node, part, path, file)
        node[index] = _shallow_copy(node[index])
        return node[index]
    if isinstance(node, dict):
        if part not in node:
            parent = _model_at(tuple(prefix[:-1]))
            if parent is not None and part not in parent.model_fields:
                allowed = ", ".join(sorted(parent.model_fields))
                raise ScenarioError(f"unknown key '{part}'; allowed keys here: {allowed}", file=file, field=path)
            node[part] = {}
        node[part] = _shallow_copy(node[part])
        return node[part]
    raise ScenarioError(f"'{'.'.join(prefix[:-1])}' is not a mapping or list", file=file, field=path)


def _shallow_copy(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else list(value) if isinstance(value, list) else value


def load_scenario(
    name_or_path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """Load, merge (`extends`), override and validate a scenario; `None` loads the default.

    >>> scenario = load_scenario("tiny", overrides={"engine.restoration_days": 30})
    """
    path = resolve_path(name_or_path or DEFAULT_SCENARIO)
    raw = _load_raw(path)
    if overrides:
        raw = apply_overrides(raw, overrides, file=str(path))
    return Scenario.from_dict(raw, file=str(path))
