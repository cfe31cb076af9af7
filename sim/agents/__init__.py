"""Mesa agents: many simple firms (views over the engine's arrays) and a few policy makers that own rules."""

from sim.agents.economy import Economy
from sim.agents.firm import Firm
from sim.agents.government import Government
from sim.agents.multinational import Multinational
from sim.agents.policy_maker import PolicyMaker

__all__ = ["Economy", "Firm", "Government", "Multinational", "PolicyMaker"]
