"""Negotiation: exemptions granted for concessions, and the rule that exempts one's own plants.

* `OwnPlantsRule` (the US argument "these are our own firms' exports"): at each review, a sector
  of a partner is exempted (kept at its calibration-year rate) when the partner does not retaliate
  and the plants of this economy's multinationals make more than `threshold` of this economy's
  imports of that sector from the partner; the exemption is revoked if the partner retaliates.
* `OfferRule`: on its day, an offerer proposes to cut its own tariffs on the partner, on
  `cut_share` of the partner's lines (e.g. 98.4%) and by sector as its `concessions` say, in
  exchange for an exemption of some of its sectors; the partner accepts by its acceptance rule (a
  minimum cut; no retaliation from the offerer). Once accepted, both sides apply the deal every step.

Each rule writes its effect into the policy tensors after the schedules and quotas, and logs what
it did and why in the event log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.policies.history import TOLERANCE
from sim.policies.rule import OnePerBlock, registers
from sim.scenario import Offer, OwnPlantsExemption

if TYPE_CHECKING:
    from sim.engine.core import Policy
    from sim.model import SupplyChainModel


@registers(OwnPlantsExemption)
class OwnPlantsRule(OnePerBlock):
    """Exempt partners' sectors that are mostly this economy's multinationals' own exports."""

    phase = "negotiate"
    agent = "government"

    def __init__(self, config: OwnPlantsExemption, model: SupplyChainModel, where: str):
        self.config, self.owner, self.where = config, config.economy, where
        index, net = model.index, model.network
        self.economy = index.economy(config.economy)
        self.partners = [int(p) for p in index.economies(config.partners) if p != self.economy]
        self.sectors = [int(s) for s in index.sectors(config.sectors)]
        self.review_steps = max(1, round(model.config.steps(config.review_days)))
        self.start_step = round(model.config.steps(config.start_day))
        self.owned_share = self._owned_share(model)
        self.exempt: set[tuple[int, int]] = set()
        self._names = net.economies

    def _owned_share(self, model: SupplyChainModel) -> np.ndarray:
        """[partner, sector]: share of baseline imports from the partner made by our multinationals' plants."""
        net, st = model.network, model.engine.structure
        into_us = st.buyer_economy == self.economy
        owner = net.firm_owner[st.supplier]
        homes = np.array([net.economies.index(h) for h in net.multinational_home] + [-1])
        ours = homes[owner] == self.economy  # owner -1 picks the sentinel -1
        origin, sector = net.firm_economy[st.supplier], net.firm_sector[st.supplier]
        shape = (net.n_economies, net.n_sectors)
        total = np.zeros(shape)
        owned = np.zeros(shape)
        np.add.at(total, (origin[into_us], sector[into_us]), st.flow0[into_us])
        np.add.at(owned, (origin[into_us & ours], sector[into_us & ours]), st.flow0[into_us & ours])
        return np.divide(owned, total, out=np.zeros(shape), where=total > 0)

    def act(self, model: SupplyChainModel, policy: Policy) -> None:
        step = model.engine.state.step
        if step >= self.start_step and (step - self.start_step) % self.review_steps == 0:
            self.review(model)
        for partner, sector in self.exempt:
            line = (self.economy, partner, sector)
            policy.tariff[line] = model.baseline_tariff[line]

    def review(self, model: SupplyChainModel) -> None:
        cfg = self.config
        for partner in self.partners:
            peaceful = not model.history.retaliates(partner, self.economy)
            for sector in self.sectors:
                share = float(self.owned_share[partner, sector])
                grant = peaceful and share > cfg.threshold
                key = (partner, sector)
                if grant == (key in self.exempt):
                    continue
                (self.exempt.add if grant else self.exempt.discard)(key)
                why = (f"{100 * share:.0f}% of imports made by own multinationals' plants "
                       f"(threshold {100 * cfg.threshold:.0f}%); partner "
                       + ("does not retaliate" if peaceful else "retaliates"))
                model.log_event(actor=cfg.economy, action="exempt" if grant else "revoke exemption",
                                partner=self._names[partner], sectors=model.network.sectors[sector],
                                value=float(model.baseline_tariff[self.economy, partner, sector]),
                                rule="own_plants_exemption", reason=why, source=cfg.source or "")


@registers(Offer)
class OfferRule(OnePerBlock):
    """A concession offered on a day; if accepted, both sides apply the deal from then on."""

    phase = "negotiate"
    agent = "government"

    def __init__(self, config: Offer, model: SupplyChainModel, where: str):
        self.config, self.owner, self.where = config, config.offerer, where
        self.offerer = model.index.economy(config.offerer)
        self.partner = model.index.economy(config.partner)
        self.sectors = model.index.sectors(config.exemption_sectors)
        # share of the offerer's rate on the partner removed, by sector: cut_share unless a concession (the
        # last one naming the sector) says otherwise
        self.cut = np.full(len(model.config.sectors), config.cut_share)
        for concession in config.concessions:
            self.cut[model.index.sectors(concession.sectors)] = concession.cut
        self.state = "pending"  # -> accepted | rejected

    def act(self, model: SupplyChainModel, policy: Policy) -> None:
        cfg = self.config
        if self.state == "pending" and model.day >= cfg.day:
            self.decide(model)
        if self.state != "accepted":
            return
        policy.tariff[self.offerer, self.partner] *= 1.0 - self.cut
        rate = model.baseline_tariff[self.partner, self.offerer, self.sectors] if cfg.exemption_rate is None \
            else cfg.exemption_rate
        policy.tariff[self.partner, self.offerer, self.sectors] = rate

    def decide(self, model: SupplyChainModel) -> None:
        cfg, rule = self.config, self.config.acceptance
        reasons = []
        if cfg.cut_share + TOLERANCE < rule.min_cut_share:
            reasons.append(f"cut {100 * cfg.cut_share:.1f}% below the {100 * rule.min_cut_share:.1f}% asked")
        if rule.requires_no_retaliation and model.history.retaliates(self.offerer, self.partner):
            reasons.append(f"{cfg.offerer} retaliates")
        self.state = "rejected" if reasons else "accepted"
        model.log_event(actor=cfg.offerer, action="offer", partner=cfg.partner, sectors=cfg.exemption_sectors,
                        value=cfg.cut_share, rule="offer",
                        reason=f"cut own tariffs on {100 * cfg.cut_share:.1f}% of lines for an exemption"
                               + (" (" + ", ".join(f"{s} -{100 * c:.0f}%" for s, c in
                                                   zip(model.network.sectors, self.cut, strict=True) if c > 0) + ")"
                                  if cfg.concessions else ""),
                        source=cfg.source or "")
        model.log_event(actor=cfg.partner, action="accept" if not reasons else "reject", partner=cfg.offerer,
                        sectors=cfg.exemption_sectors,
                        value=cfg.exemption_rate if cfg.exemption_rate is not None else 0.0, rule="acceptance",
                        reason="; ".join(reasons) or "the offer meets the acceptance rule", source=cfg.source or "")
