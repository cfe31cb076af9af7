"""Policy rules of governments and multinationals, each built from its config blocks (sim.policies.rule):
the schedule, tariff-rate quotas, negotiation, truces, retaliation and relocation. Importing the package
registers every rule."""

from sim.policies.negotiation import OfferRule, OwnPlantsRule
from sim.policies.quota import TariffQuotaRule
from sim.policies.relocation import RelocationRule
from sim.policies.retaliation import Escalate, NoRetaliation, Proportional, Retaliation, Targeted, TitForTat, make_rule
from sim.policies.rule import PHASES, RULES, PolicyRule, build_rules, registers
from sim.policies.schedule import Schedule
from sim.policies.truce import TruceRule

__all__ = [
    "PHASES",
    "RULES",
    "Escalate",
    "NoRetaliation",
    "OfferRule",
    "OwnPlantsRule",
    "PolicyRule",
    "Proportional",
    "RelocationRule",
    "Retaliation",
    "Schedule",
    "Targeted",
    "TariffQuotaRule",
    "TitForTat",
    "TruceRule",
    "build_rules",
    "make_rule",
    "registers",
]
