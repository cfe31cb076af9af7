"""Policy rules of governments: retaliation (and, as they land, negotiation and relocation)."""

from sim.policies.negotiation import OfferRule, OwnPlantsRule
from sim.policies.relocation import RelocationRule
from sim.policies.retaliation import Escalate, NoRetaliation, Proportional, Retaliation, Targeted, TitForTat, make_rule

__all__ = [
    "RelocationRule",
    "OfferRule",
    "OwnPlantsRule",
    "Escalate",
    "NoRetaliation",
    "Proportional",
    "Retaliation",
    "Targeted",
    "TitForTat",
    "make_rule",
]
