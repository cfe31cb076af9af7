"""Policy rules of governments: retaliation (and, as they land, negotiation and relocation)."""

from sim.policies.retaliation import Escalate, NoRetaliation, Proportional, Retaliation, Targeted, TitForTat, make_rule

__all__ = ["Escalate", "NoRetaliation", "Proportional", "Retaliation", "Targeted", "TitForTat", "make_rule"]
