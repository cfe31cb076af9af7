"""Retaliation: how a government answers tariffs on its exports.

A rule is a small class with one method, `answer(observed, current)`: given the partner's tariff
increase on this economy's exports (trade-weighted over sectors, against the calibration year,
as it was `delay_days` ago) and the retaliation now in force, it returns the retaliation wanted.

* `none` never retaliates (e.g. Malaysia's declared non-retaliation);
* `tit_for_tat` matches the partner's increase;
* `proportional` answers `k` times it;
* `escalate` goes `step` above the partner's increase whenever the partner is above zero, and
  never comes down by itself, so two escalating governments climb until their caps;
* `targeted` answers on chosen sectors only, with a tariff equal to the partner's increase or an
  export control blocking `share` of the flows (e.g. rare earths).

`cap` bounds every answer; a `trigger` makes the rule act only while exports to the partner have
fallen by more than a given share over a window; a truce drops the retaliation of both sides and
measures later increases from the partner's level at the truce.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.policies.history import TOLERANCE
from sim.policies.rule import registers
from sim.scenario import RetaliationConfig

if TYPE_CHECKING:
    from sim.engine.core import Policy
    from sim.model import SupplyChainModel


class NoRetaliation:
    def answer(self, observed: float, current: float) -> float:
        return 0.0


class TitForTat:
    def answer(self, observed: float, current: float) -> float:
        return max(observed, 0.0)


@dataclass
class Proportional:
    k: float

    def answer(self, observed: float, current: float) -> float:
        return self.k * max(observed, 0.0)


@dataclass
class Escalate:
    step: float

    def answer(self, observed: float, current: float) -> float:
        return max(current, observed + self.step) if observed > TOLERANCE else current


@dataclass
class Targeted:
    instrument: str
    share: float

    def answer(self, observed: float, current: float) -> float:
        if observed <= TOLERANCE:
            return current
        return self.share if self.instrument == "export_control" else observed


def make_rule(config: RetaliationConfig):
    return {
        "none": NoRetaliation,
        "tit_for_tat": TitForTat,
        "proportional": lambda: Proportional(config.k),
        "escalate": lambda: Escalate(config.step),
        "targeted": lambda: Targeted(config.instrument, config.share),
    }[config.rule]()


@registers(RetaliationConfig)
@dataclass
class Retaliation:
    """One government's retaliation against each partner: rule, state and the lines it writes."""

    phase: ClassVar[str] = "retaliate"
    agent: ClassVar[str] = "government"
    config: RetaliationConfig
    economy: int
    partners: list[int]
    delay_steps: int  # at least one step: a government sees tariffs once they have been applied
    trigger_steps: int
    rule: object = None
    level: dict[int, float] = field(default_factory=dict)  # retaliation in force, per partner
    reference: dict[int, float] = field(default_factory=dict)  # partner's increase at the last truce
    _seen: object = field(default=None, repr=False)  # the tariffs the answers in `level` were worked out from

    @property
    def owner(self) -> str:
        return self.config.economy

    @property
    def lookback_steps(self) -> int:
        """It reads tariffs `delay_steps` back and exports over its trigger's window."""
        return max(self.delay_steps, self.trigger_steps)

    @classmethod
    def build(cls, entries: list[tuple[str, RetaliationConfig]], model: SupplyChainModel) -> list[Retaliation]:
        return [cls.from_config(config, model) for _, config in entries]

    @classmethod
    def from_config(cls, config: RetaliationConfig, model: SupplyChainModel) -> Retaliation:
        me = model.index.economy(config.economy)
        partners = [int(p) for p in model.index.economies(config.against) if p != me]
        steps = model.config.steps
        trigger_steps = max(1, round(steps(config.trigger.window_days))) if config.trigger else 0
        return cls(config, me, partners, max(1, round(steps(config.delay_days))), trigger_steps,
                   make_rule(config), {p: 0.0 for p in partners}, {p: 0.0 for p in partners})

    def triggered(self, model: SupplyChainModel, partner: int) -> tuple[bool, str]:
        trigger = self.config.trigger
        if trigger is None:
            return True, ""
        drop = 100 * model.history.export_drop(self.economy, partner, self.trigger_steps)
        return drop > trigger.export_drop_pct, f"exports fell {drop:.1f}% over {trigger.window_days:g} days"

    def act(self, model: SupplyChainModel, policy: Policy) -> None:
        """Update the retaliation against each partner and write it into this step's policy."""
        cfg = self.config
        # partners' trade-weighted tariff increases on our exports `delay` steps ago (the last completed
        # step is already one step ago), counted from where a truce left them
        seen = model.history.tariff(self.delay_steps - 1)
        if seen is self._seen and cfg.trigger is None:  # the same tariffs as last step: every answer stays
            for partner in self.partners:
                self.write(model, policy, partner)
            return
        self._seen = seen  # held, so that the test above never meets another array at the same address
        raw = model.history.tariff_increases(self.partners, self.economy, lag=self.delay_steps - 1)
        for partner, increase in zip(self.partners, raw, strict=True):
            observed = increase - self.reference[partner]
            current = self.level[partner]
            fired, why = self.triggered(model, partner)
            wanted = self.rule.answer(observed, current) if fired else current
            if cfg.cap is not None:
                wanted = min(wanted, cfg.cap)
            if abs(wanted - current) > TOLERANCE:
                self.level[partner] = wanted
                reason = f"partner's tariff on our exports up {100 * observed:.1f} points"
                model.log_event(actor=cfg.economy, action=f"retaliate ({cfg.instrument})",
                                partner=model.network.economies[partner], sectors=cfg.sectors,
                                value=wanted, rule=cfg.rule, reason="; ".join(p for p in (reason, why) if p),
                                source=cfg.source or "")
            self.write(model, policy, partner)

    def write(self, model: SupplyChainModel, policy: Policy, partner: int) -> None:
        level = self.level[partner]
        if level <= 0:
            return
        lines = model.index.lines(self.config.economy, [model.network.economies[partner]], self.config.sectors)
        if self.config.instrument == "export_control":
            policy.export_block[lines] = np.maximum(policy.export_block[lines], level)
        else:
            policy.tariff[lines] = np.maximum(policy.tariff[lines], model.baseline_tariff[lines] + level)

    def truce(self, model: SupplyChainModel, partner: int) -> None:
        """Drop the retaliation against `partner`; count its later increases from its present level."""
        if partner not in self.level:
            return
        self._seen = None  # the answers are worked out again
        self.level[partner] = 0.0
        self.reference[partner] = model.history.tariff_increase(importer=partner, exporter=self.economy, lag=0)
