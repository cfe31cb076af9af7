"""The scenario schema: every config block, its fields with their units, defaults and limits, and `Scenario`.

Field types say what a value is, not only its Python type: `EconomyName`, `SectorName` and `CellName`
(sim.scenario.names) are checked against the declared names, and a field marked `POLICY` is a policy
block, which the no-policy baseline (`Scenario.without_shocks`) resets. The cross-field checks live in
`sim.scenario.checks`, the translation of pydantic's errors in `sim.scenario.errors`, and reading
files in `sim.scenario.loading`.
"""

from __future__ import annotations

import copy
import datetime
import typing
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SkipValidation,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from sim.errors import ScenarioError
from sim.log import warn_once
from sim.scenario.flows import FlowTable
from sim.scenario.names import (
    CellName,
    EconomyName,
    EconomyTargets,
    Name,
    SectorName,
    SectorTargets,
    as_list,
    lookup,
)

Source = Annotated[str | None, Field(description="citation for the figures of the entry (free text)")]
DEFAULT_SCENARIO = "us_tariffs_2025"


__all__ = [
    "Acceptance", "BaselineTariff", "CalibrationTarget", "CapacityShock", "Concession", "DEFAULT_SCENARIO",
    "Dated", "Diversion", "EconomyConfig", "EngineConfig", "Exemption", "ExportControl", "FinalDemandFlow",
    "IOConfig", "Indicator", "IntermediateFlow", "LeadTimeRoute", "LeadTimes", "MrioSource", "MultinationalConfig",
    "Negotiation", "NetworkConfig", "Offer", "OwnPlantsExemption", "POLICY", "POLICY_FIELDS", "Plant",
    "PolicyBlock", "Relocation", "ReportConfig", "RetaliationConfig", "Scenario", "SectorConfig", "Strict",
    "TariffEntry", "TariffQuota", "Tariffs", "TimeConfig", "TriggerConfig", "Truce", "policy_field",
]


@dataclass(frozen=True)
class PolicyBlock:
    """Marks a scenario field as a policy block: what a run simulates against its no-policy baseline."""


POLICY = PolicyBlock()



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
    exporter: EconomyName = Field(description="economy of the supplying cell")
    sector: SectorName = Field(description="sector of the supplying cell (the good sold)")
    importer: EconomyName = Field(description="economy of the buying cell (the exporter itself for a domestic flow)")
    buyer_sector: SectorName = Field(description="sector of the buying cell (the industry that uses the input)")
    value: float = Field(ge=0, description="annual value, in io.units")
    source: Source = None


class FinalDemandFlow(Strict):
    exporter: EconomyName = Field(description="economy of the supplying cell")
    sector: SectorName = Field(description="sector of the supplying cell (the good sold)")
    importer: EconomyName = Field(description="economy whose final demand buys it (the exporter itself for home sales)")
    value: float = Field(ge=0, description="annual value, in io.units")
    source: Source = None


class MrioSource(Strict):
    """A real MRIO table read with pymrio, its regions and sectors mapped onto the scenario's names."""

    path: str = Field(description="folder or zip saved with pymrio's IOSystem.save_all, relative to the scenario "
                                  "file (e.g. an ICIO, EXIOBASE or ADB table parsed once with pymrio)")
    regions: dict[str, Name] = Field(default_factory=dict, description="table region -> scenario economy, '*' for "
                                     "every region not named, e.g. {MYS: MY, USA: US, CHN: CN, '*': ROW}; regions "
                                     "mapped to one economy are summed (empty: every region as itself)")
    sectors: dict[str, Name] = Field(default_factory=dict, description="table sector -> scenario sector, '*' for the "
                                     "rest, e.g. {C26: chips, '*': other} (empty: every sector as itself)")


class IOConfig(Strict):
    """The table: written as records (`IntermediateFlow`, `FinalDemandFlow`), held as columns once the scenario
    is built (`sim.scenario.flows.FlowTable`: `Scenario.from_dict` checks the records in array passes)."""

    units: str = Field("USD_m_per_year", description="unit of the table's values and of money in reports (a label: "
                       "nothing is converted)")
    intermediate: Annotated[list[IntermediateFlow], SkipValidation] = Field(
        default_factory=list, description="annual flows between cells (duplicates summed): records, or a CSV path "
                                          "relative to the scenario file")
    final_demand: Annotated[list[FinalDemandFlow], SkipValidation] = Field(
        min_length=1, description="annual sales of cells to final demand (duplicates summed): records, or a CSV path "
                                  "relative to the scenario file")

    mrio: MrioSource | None = Field(None, exclude=True, description="read the table from a pymrio folder instead of "
                                    "records (the io extra); the scenario's economies and sectors default to the "
                                    "mapped names (a dump of the scenario holds the records read)")
    negative_flows: Literal["error", "drop"] = Field(
        "error", description="a negative flow (some real tables carry them): an error naming its cells, or left out "
                             "of the table with a warning")
    negligible_flows: float = Field(
        0.0, ge=0, description="flows below this annual value are left out of the table (0: keep every flow)")

    @field_validator("intermediate", "final_demand", mode="before")
    @classmethod
    def _records_or_table(cls, value: Any) -> Any:
        if not isinstance(value, list | FlowTable):
            raise ValueError("a list of flow records or a CSV path is allowed")
        return value  # records become a FlowTable in Scenario.from_dict, where the names are known

    @field_serializer("intermediate", "final_demand")
    def _as_records(self, value: Any) -> Any:
        return value.records() if isinstance(value, FlowTable) else value


class NetworkConfig(Strict):
    firms_per_cell: int = Field(10, ge=1, description="firms in each (economy, sector) cell with output")
    sectors: dict[str, Annotated[int, Field(ge=1)]] = Field(
        default_factory=dict, description="firms per cell with output in every cell of the named sectors, e.g. "
                                          "{chips: 20}: firm resolution where a study needs it")
    cells: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict, description="firms per cell for named cells, e.g. {MY.chips: 40} (over sectors)"
    )
    suppliers_per_buyer: int = Field(2, ge=1, description="supplier couplings drawn per block (link density)")
    size_tail_index: float = Field(1.5, gt=0, description="Pareto tail index of firm sizes (smaller = more skewed)")
    sourcing: Literal["heterogeneous", "homogeneous"] = Field(
        "heterogeneous", description="each buyer its own origin mix, or every buyer its cell's mix (docs/model.md)")


class LeadTimeRoute(Strict):
    exporter: EconomyName = Field(description="economy shipped from")
    importer: EconomyName = Field(description="economy shipped to")
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
    transit_precision: Literal["auto", "float64", "float32"] = Field(
        "auto", description="how goods in transit are held, the largest per-link array (a link's last lead-time "
                            "days of shipments): float32 holds each shipment's difference from the link's "
                            "baseline flow in half the memory: to about 4e-15 at the steady state, within "
                            "6e-8 of that difference otherwise (docs/model.md, 'Transit'); auto: float32 where "
                            "the pipeline in float64 would exceed 1 GiB (about 7 million links at 19 days' "
                            "lead), else float64")


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
    top of MFN and Section 301 duties). Exactly one of the two is given."""

    importer: EconomyName = Field(description="economy that levies the duty")
    exporters: EconomyTargets = Field("*", description="origin economies taxed, '*' for every other economy")
    sectors: SectorTargets = Field("*", description="sectors taxed, '*' for all")
    rate: float | None = Field(None, ge=0, le=MAX_RATE, allow_inf_nan=False,
                               description="ad-valorem rate in force, as a fraction (0.25 = 25%)")
    increase: float | None = Field(None, ge=0, le=MAX_RATE, allow_inf_nan=False,
                                   description="additional duty over the calibration-year rate, as a fraction")
    source: Source = None
    own_and_partners: ClassVar[tuple[str, str]] = ("importer", "exporters")  # policies fall on cross-border trade

    _lists = field_validator("exporters", "sectors", mode="before")(as_list)

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


class BaselineTariff(TariffEntry):
    """A calibration-year rate, in force all run long: part of the table a run starts from, not a policy.
    It gives a `rate` (an `increase` is an error: there is nothing under the calibration year to add to)."""


class Exemption(Dated):
    """Lines kept at their calibration-year rate whatever the applied entries say (e.g. chips)."""

    importer: EconomyName = Field(description="economy whose tariff lines are exempted")
    exporters: EconomyTargets = Field("*", description="origin economies covered, '*' for every other economy")
    sectors: SectorTargets = Field(description="sectors kept at their calibration-year rate, '*' for all")
    source: Source = None
    own_and_partners: ClassVar[tuple[str, str]] = ("importer", "exporters")  # policies fall on cross-border trade

    _lists = field_validator("exporters", "sectors", mode="before")(as_list)


class TariffQuota(Dated):
    """A tariff-rate quota: imports on its lines pay `in_quota_rate` until they reach the quota of the period,
    then `over_quota_rate` for the rest of it (e.g. the 2025 US-UK deal: 100,000 UK cars a year at 10%,
    cars above the quota at 27.5%). Exactly one of `quota` and `quota_share` is given."""

    importer: EconomyName = Field(description="economy that levies the duties and counts the quota")
    exporters: EconomyTargets = Field("*", description="origin economies whose goods fill the one quota, '*' for "
                                      "every other economy")
    sectors: SectorTargets = Field(description="sectors of the goods under the quota, '*' for all")
    in_quota_rate: float = Field(ge=0, le=MAX_RATE, allow_inf_nan=False,
                                 description="rate in force while the period's imports are below the quota")
    over_quota_rate: float = Field(ge=0, le=MAX_RATE, allow_inf_nan=False,
                                   description="rate in force once the quota is filled, until the period ends")
    quota: float | None = Field(None, gt=0, allow_inf_nan=False,
                                description="imports per period at the lower rate, in io.units (money, not per year)")
    quota_share: float | None = Field(None, gt=0, allow_inf_nan=False,
                                      description="the quota as a share of the lines' calibrated imports over one "
                                                  "period")
    period_days: float = Field(365.0, gt=0, description="length of a quota period, days; the count restarts at "
                               "start_day and every period after it")
    source: Source = None
    own_and_partners: ClassVar[tuple[str, str]] = ("importer", "exporters")  # policies fall on cross-border trade

    _lists = field_validator("exporters", "sectors", mode="before")(as_list)

    @model_validator(mode="after")
    def _one_quota(self) -> TariffQuota:
        if (self.quota is None) == (self.quota_share is None):
            raise ValueError("give exactly one of quota (a value per period) and quota_share (a share of the "
                             "calibrated imports)")
        if self.in_quota_rate > self.over_quota_rate:
            raise ValueError(f"in_quota_rate {self.in_quota_rate:g} is above over_quota_rate "
                             f"{self.over_quota_rate:g}; allowed: in_quota_rate <= over_quota_rate")
        return self


class Tariffs(Strict):
    baseline: list[BaselineTariff] = Field(default_factory=list, description="in force in the calibration year, "
                                          "all run long (their start and end are not used)")
    applied: Annotated[list[TariffEntry], POLICY] = Field(default_factory=list,
                                                          description="changes simulated against it")
    exemptions: Annotated[list[Exemption], POLICY] = Field(default_factory=list,
                                                           description="lines excluded from applied rates")
    quotas: Annotated[list[TariffQuota], POLICY] = Field(default_factory=list, description="tariff-rate quotas: a "
                                                         "lower rate up to a quota of imports per period, a higher "
                                                         "rate above it")


class ExportControl(Dated):
    exporter: EconomyName = Field(description="economy that controls its exports")
    importers: EconomyTargets = Field("*", description="destination economies covered, '*' for every other economy")
    sectors: SectorTargets = Field("*", description="sectors covered, '*' for all")
    share: float = Field(ge=0, le=1, description="share of the flows blocked (or delayed, see licensing_days)")
    licensing_days: float = Field(0.0, ge=0, description="if > 0, the share is delayed this long, not blocked")
    source: Source = None
    own_and_partners: ClassVar[tuple[str, str]] = ("exporter", "importers")  # policies fall on cross-border trade

    _lists = field_validator("importers", "sectors", mode="before")(as_list)


class CapacityShock(Strict):
    cells: list[CellName] = Field(default_factory=list, description="cells hit, e.g. [MY.chips]")
    firms: list[Annotated[int, Field(ge=0)]] = Field(default_factory=list, description="firm indices hit")
    share: float = Field(gt=0, le=1, description="share of capacity lost")
    start_day: float = Field(0.0, ge=0, description="first day of the loss, counted from day 0")
    duration_days: float = Field(gt=0, description="days the full loss lasts, before the recovery ramp")
    recovery_days: float = Field(0.0, ge=0, description="linear ramp back to full capacity")
    source: Source = None


class Plant(Strict):
    cell: CellName = Field(description="cell 'ECONOMY.sector' whose firms it owns (drawn at random, up to share)")
    share: float = Field(gt=0, le=1, description="share of the cell's output made in these plants")
    source: Source = None


class Relocation(Strict):
    """Friend-shoring: move capacity between own plants when a tariff wedge persists."""

    sector: SectorName = Field(description="sector of the plants between which capacity moves")
    from_economy: EconomyName = Field(description="economy of the own plants that lose capacity")
    to_economy: EconomyName = Field(description="economy of the own plants that receive it")
    wedge_threshold: float = Field(0.1, ge=0, description="home tariff on 'from' minus on 'to' that triggers")
    persistence_days: float = Field(90.0, ge=0, description="how long the wedge must last")
    lag_days: float = Field(365.0, ge=0, description="investment lag from decision to first capacity")
    ramp_days: float = Field(180.0, gt=0, description="ramp from first to full capacity")
    share: float = Field(gt=0, le=1, description="share of the 'from' plants' capacity moved")
    cost_share: float = Field(0.1, ge=0, lt=1, description="share of the moved capacity lost in the move")
    source: Source = None


class MultinationalConfig(Strict):
    name: Name = Field(description="name of the multinational in results and the event log")
    home: EconomyName = Field(
        description="economy of the parent company: its tariffs on the plants' goods make the tariff "
        "bill and the relocation wedge")
    plants: list[Plant] = Field(min_length=1, description="shares of cells' output it owns")
    sourcing_sigma: float | None = Field(
        None, ge=0, description="elasticity between its own plants and others (None: the sector's)")
    relocations: Annotated[list[Relocation], POLICY] = Field(
        default_factory=list, description="friend-shoring plans between its own plants")


class TriggerConfig(Strict):
    export_drop_pct: float = Field(gt=0, le=100, description="act only if exports to the partner fell this much")
    window_days: float = Field(30.0, gt=0, description="over this window, against the baseline")


class RetaliationConfig(Strict):
    """How a government answers tariffs on its exports (docs/model.md, 'Policies')."""

    economy: EconomyName = Field(
        description="economy whose government answers tariffs on its exports (one rule per economy)")
    rule: Literal["none", "tit_for_tat", "proportional", "escalate", "targeted"] = Field(
        "none", description="its answer: none, tit_for_tat, proportional (k), escalate (step) or targeted (sectors)")
    against: EconomyTargets = Field("*", description="partners it answers")
    delay_days: float = Field(0.0, ge=0, description="time to answer (at least one step)")
    k: float = Field(1.0, ge=0, description="proportional: answer k x the partner's increase")
    step: float = Field(0.1, gt=0, description="escalate: go this far above the partner's increase")
    cap: float | None = Field(None, ge=0, description="highest retaliatory increase")
    sectors: SectorTargets = Field("*", description="lines of the partner's exports it taxes or controls")
    instrument: Literal["tariff", "export_control"] = Field("tariff", description="tariff: an additional duty on the "
                                                            "partner's goods; export_control: blocks that share of "
                                                            "its exports to the partner")
    share: float = Field(1.0, ge=0, le=1, description="targeted export control: share blocked")
    trigger: TriggerConfig | None = Field(None, description="hold the answer until exports to the partner have fallen "
                                          "(null: answer at once)")
    source: Source = None

    _lists = field_validator("against", "sectors", mode="before")(as_list)


class Truce(Strict):
    """Both economies drop their retaliation against each other and start counting anew."""

    economies: list[EconomyName] = Field(min_length=2, max_length=2, description="the two economies that drop their "
                                  "retaliation against each other")
    day: float = Field(ge=0, description="day of the truce, counted from day 0")
    source: Source = None


class OwnPlantsExemption(Strict):
    """Exempt a sector of a partner that does not retaliate when plants owned by this economy's
    multinationals make more than `threshold` of its imports of that sector from the partner."""

    economy: EconomyName = Field(
        description="importing economy that grants the exemptions (its multinationals' plants count)")
    sectors: list[SectorName] = Field(min_length=1, description="sectors of the partners' goods that can be exempted")
    threshold: float = Field(gt=0, le=1, description="share of imports made by own multinationals' plants")
    partners: EconomyTargets = Field(
        "*", description="exporting economies whose sectors can be exempted, '*' for every "
        "other economy")
    start_day: float = Field(0.0, ge=0, description="day of the first review, counted from day 0")
    review_days: float = Field(30.0, gt=0, description="how often the rule is reviewed")
    source: Source = None

    _lists = field_validator("partners", mode="before")(as_list)


class Acceptance(Strict):
    min_cut_share: float = Field(0.0, ge=0, le=1, description="accept only if the offer cuts at least this share")
    requires_no_retaliation: bool = Field(True, description="reject an offerer that retaliates against us")


class Concession(Strict):
    """Part of an offer: the offerer cuts its tariffs on the partner's goods of some sectors by a share of
    the rate in force (1 = to zero), e.g. 61% of a sector's lines to zero and the rest halved: cut 0.8."""

    sectors: SectorTargets = Field(
        description="sectors of the partner's goods whose tariffs the offerer cuts, '*' for all")
    cut: float = Field(ge=0, le=1, description="share of the rate in force removed (1: duty-free)")
    source: Source = None

    _lists = field_validator("sectors", mode="before")(as_list)


class Offer(Strict):
    """A concession (cut own tariffs on the partner's goods) for an exemption or a lower rate.

    `cut_share` is the share of the partner's tariff lines the offer covers, which the acceptance rule
    weighs; `concessions` say by how much the named sectors' tariffs fall. Every other sector's rate is
    cut by `cut_share` (all covered lines to zero, spread evenly over sectors)."""

    offerer: EconomyName = Field(description="economy that cuts its tariffs on the partner's goods")
    partner: EconomyName = Field(description="economy asked to exempt the offerer's sectors")
    day: float = Field(0.0, ge=0, description="day the partner decides on the offer, counted from day 0")
    cut_share: float = Field(ge=0, le=1, description="share of the partner's tariff lines the offer cuts")
    concessions: list[Concession] = Field(default_factory=list,
                                          description="cuts by sector (later ones win; others: cut_share)")
    exemption_sectors: SectorTargets = Field(description="the offerer's sectors the partner is asked to exempt")
    exemption_rate: float | None = Field(None, ge=0, description="rate asked for (None: calibration-year rate)")
    acceptance: Acceptance = Field(default_factory=Acceptance, description="the partner's rule for accepting")
    source: Source = None

    _lists = field_validator("exemption_sectors", mode="before")(as_list)


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
    exporters: EconomyTargets = Field("*", description="origin economies (output: the cells' economies)")
    importers: EconomyTargets = Field("*", description="destination economies of the deliveries, '*' for all")
    sectors: SectorTargets = Field("*", description="sectors of the goods (output: of the cells), '*' for all")
    use: Literal["all", "intermediate", "final"] = Field("all", description="keep deliveries to firms (intermediate), "
                                                         "to final demand (final) or both (all)")
    cross_border: bool = Field(False, description="keep only deliveries between two different economies")
    by: Literal["sector", "exporter", "importer"] | None = Field(None, description="split into one row per sector, "
                                                                 "exporter or importer (null: one row)")
    source: Source = None

    _lists = field_validator("exporters", "importers", "sectors", mode="before")(as_list)

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
    importer: EconomyName = Field(description="economy whose imports are compared (domestic supply excluded)")
    sectors: SectorTargets = Field(description="sectors of the imports counted, '*' for all")
    toward: list[EconomyName] = Field(
        min_length=1, description="origin economies whose combined share of the imports is "
        "compared")
    away_from: list[EconomyName] = Field(default_factory=list, description="origin economies whose combined share is "
                                  "reported too (empty: none)")

    _lists = field_validator("sectors", mode="before")(as_list)


RECORDED_TABLES = ("output", "delivered", "unfilled", "tariff_revenue", "multinational_tariff_bill", "tariff",
                   "export_block", "price", "inventory", "consumer_price")  # sim.recorder, in its order
ALWAYS_RECORDED = ("output", "delivered")  # throughput and disruption are measured on them
RecordedTable = Literal[RECORDED_TABLES]


class ReportConfig(Strict):
    """What `sim run` puts in its headline table beside the totals, and what a run records."""

    indicators: list[Indicator] = Field(default_factory=list, description="headline series of deliveries or output, "
                                        "measured against the reference")
    diversion: list[Diversion] = Field(default_factory=list, description="import shares by origin, reference vs the "
                                       "last tenth of the run")
    record_precision: Literal["auto", "float64", "float32"] = Field(
        "auto", description="how the per-step tables (output, deliveries, duties, prices, inventories; not the policy "
                            "tensors) are held: float32 in half the memory, to 7 significant digits; auto: float32 "
                            "where a step's rows exceed 1 MiB (over 130,000 trade groups and cells), else float64")
    record: list[RecordedTable] | Literal["all"] = Field(
        "all", description="the per-step tables a run keeps: 'all', or a list of them (output and delivered are "
                           "always kept; duties by trade group, tariff_revenue, are as large as deliveries). A table "
                           "left out keeps only its latest row (the dynamics never read the record, so the run is "
                           "the same); the summary gives its figures as null")

    def recorded(self) -> tuple[str, ...]:
        """The tables a run keeps every step of, in the recorder's order."""
        asked = RECORDED_TABLES if self.record == "all" else {*self.record, *ALWAYS_RECORDED}
        return tuple(name for name in RECORDED_TABLES if name in asked)


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
    sectors: list[SectorName] | Literal["*"] = Field(min_length=1, description="sectors the figure covers, '*' for "
                                                     "all")
    economy: EconomyName | None = Field(None, description="economy whose share is compared (output_share, "
                                        "export_share)")
    exporter: EconomyName | None = Field(None, description="origin economy (import_share, average_tariff)")
    importer: EconomyName | None = Field(None, description="importing economy (import_share, average_tariff)")
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
    export_controls: Annotated[list[ExportControl], POLICY] = Field(
        default_factory=list, description="shares of an exporter's shipments "
        "blocked or held for licensing, each over a window")
    capacity_shocks: Annotated[list[CapacityShock], POLICY] = Field(
        default_factory=list, description="exogenous capacity losses of "
        "cells or firms")
    multinationals: list[MultinationalConfig] = Field(default_factory=list, description="parent companies owning "
                                                      "plants (shares of cells' output) in several economies")
    retaliation: Annotated[list[RetaliationConfig], POLICY] = Field(
        default_factory=list, description="how governments answer tariffs on "
        "their exports (one rule per economy)")
    truces: Annotated[list[Truce], POLICY] = Field(
        default_factory=list, description="days on which two economies drop their retaliation "
        "against each other")
    targets: list[CalibrationTarget] = Field(default_factory=list, description="figures the IO table reproduces")
    report: ReportConfig = Field(default_factory=ReportConfig, description="headline indicators and trade diversion "
                                 "that sim run reports")
    negotiation: Annotated[Negotiation, POLICY] = Field(
        default_factory=Negotiation, description="own-plants exemptions and offers of "
        "concessions")
    _file: str | None = PrivateAttr(None)

    @property
    def file(self) -> str | None:
        """The YAML file this scenario was read from, if any (used in error messages)."""
        return self._file

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, file: str | None = None, checked: Collection[int] = ()) -> Scenario:
        """Validate a raw mapping (as read from YAML); errors name `file` and the field. `checked`: the ids of
        blocks, given in `raw` as validated objects, that were resolved and checked already against the same
        names and dates (what `sim.scenario.derive` shares); the rest is checked as usual."""
        from sim.scenario.checks import check_consistency, resolve_dates
        from sim.scenario.errors import first_error
        from sim.scenario.loading import read_mrio_tables

        raw = read_mrio_tables(raw, file)
        try:
            scenario = cls.model_validate(raw)
        except ValidationError as exc:
            raise first_error(exc, raw, file) from None
        scenario._file = file
        if id(scenario.io) not in checked:
            scenario._hold_flows(file)
        resolve_dates(scenario, file, checked)
        check_consistency(scenario, file, checked)
        return scenario

    def _hold_flows(self, file: str | None) -> None:
        """The IO table's records as FlowTables over the declared names (a table given as one is checked to be
        over the same names)."""
        economies, sectors = tuple(self.economy_names), tuple(self.sector_names)
        for kind in ("intermediate", "final_demand"):
            table = getattr(self.io, kind)
            if isinstance(table, FlowTable):
                if table.kind != kind:
                    raise ScenarioError(f"a {table.kind} table given as io.{kind}", file=file, field=f"io.{kind}")
                if (table.economies, table.sectors) != (economies, sectors):
                    raise ScenarioError("the table's economies and sectors are not the scenario's; allowed: a "
                                        "FlowTable over the declared names", file=file, field=f"io.{kind}")
            else:
                table = FlowTable.from_records(table, kind, economies, sectors, file)
            negative = table.negative()
            if negative.any():
                i = int(np.flatnonzero(negative)[0])
                if self.io.negative_flows == "error":
                    raise ScenarioError(f"bad value {float(table.value[i]):g} ({table.cell_text(i)}; "
                                        f"{int(negative.sum())} negative rows): Input should be greater than or equal "
                                        "to 0; or set io.negative_flows: drop to leave them out", file=file,
                                        field=f"io.{kind}[{i}].value")
                warn_once(f"{file or self.name}: io.{kind}: {int(negative.sum())} negative flows left out "
                          f"(io.negative_flows: drop), the first {table.cell_text(i)}")
            table = table.without(negative | (table.value < self.io.negligible_flows))  # row by row, as written
            if kind == "final_demand" and not len(table):
                raise ScenarioError("no final demand is left (every row negative, dropped or below "
                                    "io.negligible_flows); allowed: at least one sale to final demand", file=file,
                                    field="io.final_demand")
            setattr(self.io, kind, table)

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
        econ = lookup(economy, self.economy_names, "economy", field, self._file)
        sect = lookup(sector, self.sector_names, "sector", field, self._file)
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
        per_step = 1.0 / self.time.steps_per_year
        z, y = self.io.intermediate.codes, self.io.final_demand.codes
        sup = z["exporter"] * n_sectors + z["sector"]
        buy = z["importer"] * n_sectors + z["buyer_sector"]
        val = self.io.intermediate.value * per_step
        fsup = y["exporter"] * n_sectors + y["sector"]
        fimp = y["importer"]
        fval = self.io.final_demand.value * per_step
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
        per_sector = np.full(len(self.sectors), self.network.firms_per_cell)
        for sector, n in self.network.sectors.items():
            per_sector[lookup(sector, self.sector_names, "sector", f"network.sectors.{sector}", self._file)] = n
        counts = np.where(output > 0, np.tile(per_sector, len(self.economies)), 0)
        for cell, n in self.network.cells.items():
            counts[self.cell_index(cell, f"network.cells.{cell}")] = n
        return counts

    def without_shocks(self) -> Scenario:
        """The no-policy baseline: same network and settings, every field of POLICY_FIELDS at its default
        (no applied tariffs, exemptions, quotas, controls, shocks, retaliation, truces, negotiation or
        relocation plans)."""
        baseline = self.model_copy(deep=True)
        for path in POLICY_FIELDS:
            *parents, name = path.split(".")
            owners: list[Any] = [baseline]
            for part in parents:
                owners = [item for owner in owners for item in owner] if part == "*" else \
                    [getattr(owner, part) for owner in owners]
            for owner in owners:
                default = type(owner).model_fields[name].get_default(call_default_factory=True)
                setattr(owner, name, copy.deepcopy(default))
        baseline.name = f"{self.name} (baseline)"
        baseline._file = self._file
        return baseline


def _policy_paths(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Dotted paths of the fields marked POLICY in `model` and the blocks below it ('*' for any list item).
    A block reached otherwise than as a field or a list of blocks (optional, or in a mapping) cannot hold
    a policy block: the baseline could not reset it, so that is an error when the schema is defined."""
    for name, info in model.model_fields.items():
        if any(isinstance(meta, PolicyBlock) for meta in info.metadata):
            yield prefix + name
            continue
        annotation = info.annotation
        item = typing.get_args(annotation)[0] if typing.get_origin(annotation) is list else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _policy_paths(annotation, f"{prefix}{name}.")
        elif isinstance(item, type) and issubclass(item, BaseModel):
            yield from _policy_paths(item, f"{prefix}{name}.*.")
        else:
            for inner in typing.get_args(annotation):
                if isinstance(inner, type) and issubclass(inner, BaseModel) and any(_policy_paths(inner)):
                    raise TypeError(f"{prefix}{name}: a policy block inside {annotation} cannot be reset by the "
                                    "baseline; allowed: policy blocks in fields or lists of blocks")


# The fields the no-policy baseline resets (Scenario.without_shocks), read from the schema's POLICY marks: a
# change to any other field may change the baseline run, a change to these alone never does (sim.sweep.worker
# reuses baselines on this basis).
POLICY_FIELDS = tuple(_policy_paths(Scenario))


def policy_field(path: str) -> bool:
    """Whether the dotted path `path` (list items by index or name) lies in one of POLICY_FIELDS."""
    parts = path.split(".")
    for field in POLICY_FIELDS:
        pattern = field.split(".")
        if len(parts) >= len(pattern) and all(p in ("*", q) for p, q in zip(pattern, parts, strict=False)):
            return True
    return False


def _sum_duplicates(a: np.ndarray, b: np.ndarray, v: np.ndarray, nb: int):
    key = a * nb + b
    uniq, inverse = np.unique(key, return_inverse=True)
    sums = np.bincount(inverse, v, len(uniq))
    keep = sums > 0
    return uniq[keep] // nb, uniq[keep] % nb, sums[keep]
