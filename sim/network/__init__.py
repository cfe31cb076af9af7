"""Building the supply graph: from a scenario's IO table, from a pymrio IOSystem, from files."""

from sim.network.build import build_network
from sim.network.files import load_network, save_network
from sim.network.graph import SupplyNetwork

__all__ = ["SupplyNetwork", "build_network", "load_network", "save_network"]
