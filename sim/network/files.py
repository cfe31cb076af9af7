"""Save and load a built network: a folder of Parquet tables, or a GraphML file for other tools.

Parquet keeps everything needed to rebuild the same `SupplyNetwork` bit for bit (firms.parquet,
links.parquet, network.json); GraphML (`.graphml`) is the networkx export for Gephi/Cytoscape and
can also be read back.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from sim.errors import ScenarioError
from sim.network.graph import SupplyNetwork


def save_network(network: SupplyNetwork, path: str | Path) -> Path:
    """Write `network` to a folder of Parquet tables, or to GraphML if `path` ends in .graphml."""
    path = Path(path)
    if path.suffix == ".graphml":
        path.parent.mkdir(parents=True, exist_ok=True)
        graph = network.to_networkx()
        graph.graph["meta"] = json.dumps(_meta(network))
        nx.write_graphml(graph, path)
        return path
    path.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"cell": network.firm_cell, "owner": network.firm_owner}).to_parquet(path / "firms.parquet")
    pd.DataFrame(
        {
            "supplier": network.link_supplier,
            "buyer": network.link_buyer,
            "flow": network.link_flow,
            "lead_steps": network.link_lead_steps,
        }
    ).to_parquet(path / "links.parquet")
    (path / "network.json").write_text(json.dumps(_meta(network), indent=2))
    return path


def load_network(path: str | Path) -> SupplyNetwork:
    """Read a network written by `save_network`."""
    path = Path(path)
    if path.suffix == ".graphml":
        return _from_graphml(path)
    for name in ("firms.parquet", "links.parquet", "network.json"):
        if not (path / name).is_file():
            raise ScenarioError(f"not a saved network: {name} is missing", file=str(path))
    meta = json.loads((path / "network.json").read_text())
    firms = pd.read_parquet(path / "firms.parquet")
    links = pd.read_parquet(path / "links.parquet")
    return SupplyNetwork(
        firm_cell=firms["cell"].to_numpy(np.int32),
        firm_owner=firms["owner"].to_numpy(np.int16),
        link_supplier=links["supplier"].to_numpy(np.int32),
        link_buyer=links["buyer"].to_numpy(np.int32),
        link_flow=links["flow"].to_numpy(np.float64),
        link_lead_steps=links["lead_steps"].to_numpy(np.int32),
        **meta,
    )


def _meta(network: SupplyNetwork) -> dict:
    return {
        "name": network.name,
        "economies": network.economies,
        "sectors": network.sectors,
        "multinationals": network.multinationals,
        "multinational_home": network.multinational_home,
    }


def _from_graphml(path: Path) -> SupplyNetwork:
    graph = nx.read_graphml(path, node_type=int)
    meta = json.loads(graph.graph["meta"])
    economies, sectors, owners = meta["economies"], meta["sectors"], meta["multinationals"]
    firms = sorted(n for n, d in graph.nodes(data=True) if d["kind"] == "firm")
    if firms != list(range(len(firms))):
        raise ScenarioError("firm nodes must be numbered 0..n-1", file=str(path))
    nodes = graph.nodes
    cell = [economies.index(nodes[f]["economy"]) * len(sectors) + sectors.index(nodes[f]["sector"]) for f in firms]
    owner = [owners.index(nodes[f]["owner"]) if nodes[f]["owner"] else -1 for f in firms]
    edges = list(graph.edges(data=True))
    return SupplyNetwork(
        firm_cell=np.array(cell, dtype=np.int32),
        firm_owner=np.array(owner, dtype=np.int16),
        link_supplier=np.array([u for u, _, _ in edges], dtype=np.int32),
        link_buyer=np.array([v for _, v, _ in edges], dtype=np.int32),
        link_flow=np.array([d["flow"] for _, _, d in edges], dtype=np.float64),
        link_lead_steps=np.array([d["lead_steps"] for _, _, d in edges], dtype=np.int32),
        **meta,
    )
