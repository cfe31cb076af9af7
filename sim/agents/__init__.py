"""Mesa agents: many simple firms (a face over the engine's arrays) and a few policy makers."""

from sim.agents.economy import Economy
from sim.agents.firm import Firm
from sim.agents.government import Government
from sim.agents.multinational import Multinational

__all__ = ["Economy", "Firm", "Government", "Multinational"]
