"""Build the 2024 calibration table (13 economies x 12 sectors, USD m per year) from sourced anchors.

Writes `io_2024_intermediate.csv` and `io_2024_final_demand.csv` beside this file; every row carries a
`source`. Rare earths and magnets are entered flow by flow (few producers, well documented). Every
other traded good is one *market*: world sales, producers' shares, buyers' shares, a home bias and the
bilateral flows that are known (anchors, e.g. US chip imports by partner). The unknown rest of each
market is filled by iterative proportional fitting (RAS) of shares x shares x home bias around the
anchors, so producers sell and buyers buy exactly their shares. Each economy's destination use is then
split over buyer sectors (electronics, autos, final demand ...) by fixed use shares. Flows below
`MIN_FLOW` are dropped. Run `python configs/data/build_io_2024.py` after changing a figure here;
`tests/test_calibration.py` checks the CSVs are up to date. Status codes in sources follow
CALIBRATION.md: V read in a named source, S secondary, D derived, U unverified (an assumption).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
ECONOMIES = ["US", "CN", "MY", "VN", "TH", "SG", "ID", "PH", "TW", "KR", "JP", "EU", "ROW"]
MIN_FLOW = 50.0  # USD m per year; smaller fitted flows are dropped (anchors are always kept)
MAX_INPUT_SHARE = 0.65  # a cell's traded inputs are at most this share of its output (value added >= 20%)

# Each economy's rest-of-economy aggregate, gross output in USD m (about twice GDP). Assumption: GDP
# figures are not in CALIBRATION.md; these only set how small the modelled sectors are in each economy.
OTHER_OUTPUT = {"US": 40e6, "CN": 45e6, "MY": 0.8e6, "VN": 0.8e6, "TH": 1.0e6, "SG": 1.0e6, "ID": 2.5e6,
                "PH": 0.8e6, "TW": 1.5e6, "KR": 3.5e6, "JP": 9e6, "EU": 35e6, "ROW": 60e6}
OTHER_SOURCE = "U: assumption, each economy's other output ≈2x GDP (GDP not in CALIBRATION.md)"
OTHER_INPUT_SHARE = 0.15  # every cell buys domestic `other` (energy, services) worth 15% of its output (U)
OTHER_DOMESTIC_SHARE = 0.40  # `other` buys 40% of its output from domestic `other` (U)
OTHER_IMPORT_SHARE = 0.06  # and imports 6% of its output from other economies' `other` (U)

# ---------------------------------------------------------------------------------------------
# Rare earths and magnets, flow by flow: (exporter, sector, importer, buyer, value, source)
RE_UNIT = "US$5.8/kg REO = US mine value 260 m / 45,000 t (USGS MCS 2025, V)"
FLOWS = [
    # mining -> processing (mine output by country: USGS MCS 2025, 2024 data, V)
    ("CN", "rare_earth_mining", "CN", "rare_earth_processing", 1560,
     f"D: China 270,000 t REO (69% of world 390,000 t; USGS MCS 2025, V) x {RE_UNIT}"),
    ("US", "rare_earth_mining", "CN", "rare_earth_processing", 260,
     "V: US mine output 45,000 t REO, US$260 m (USGS MCS 2025); U: concentrate shipped to China for separation"),
    ("ROW", "rare_earth_mining", "CN", "rare_earth_processing", 254,
     f"D: Myanmar 31,000 t + Nigeria 13,000 t REO (USGS MCS 2025, V) x {RE_UNIT}; U: all to China"),
    ("TH", "rare_earth_mining", "CN", "rare_earth_processing", 75,
     f"D: Thailand 13,000 t REO (USGS MCS 2025, V) x {RE_UNIT}; U: buyer China"),
    ("ROW", "rare_earth_mining", "MY", "rare_earth_processing", 75,
     f"D: Australia 13,000 t REO (USGS MCS 2025, V) x {RE_UNIT}; U: refined by Lynas in Kuantan, Malaysia"),
    ("ROW", "rare_earth_mining", "JP", "rare_earth_processing", 30, "U: other mines' concentrate to Japanese refiners"),
    ("ROW", "rare_earth_mining", "EU", "rare_earth_processing", 20, "U: feed of Neo Performance Silmet (Estonia)"),
    ("ROW", "rare_earth_mining", "ROW", "rare_earth_processing", 40, "U: other refiners"),
    # processing -> magnets. US imports of RE compounds & metals US$170 m (USGS MCS 2025, V), by origin
    # China/Malaysia/Estonia/Japan 77/9/6/3% by kg (Motley Fool Research (Census), S); ≈70% China by value
    # (USGS 2020-23 avg via Bloomberg, V)
    ("CN", "rare_earth_processing", "US", "magnets", 120, "D: 170 x 70% China (USGS MCS 2025; USGS via Bloomberg, V)"),
    ("MY", "rare_earth_processing", "US", "magnets", 15, "D: 170 x 9% Malaysia (Motley Fool Research (Census), S)"),
    ("EU", "rare_earth_processing", "US", "magnets", 10, "D: 170 x 6% Estonia (Motley Fool Research (Census), S)"),
    ("JP", "rare_earth_processing", "US", "magnets", 5, "D: 170 x 3% Japan (Motley Fool Research (Census), S)"),
    ("ROW", "rare_earth_processing", "US", "magnets", 20, "D: 170 - 120 - 15 - 10 - 5, other origins"),
    ("CN", "rare_earth_processing", "JP", "magnets", 200,
     "D: part of China's RE exports US$488.8 m (Reuters, GACC data, 2024, V); U: destination split"),
    ("CN", "rare_earth_processing", "EU", "magnets", 80, "D: part of China's RE exports US$488.8 m (V); U: split"),
    ("CN", "rare_earth_processing", "ROW", "magnets", 89, "D: 488.8 - 120 - 200 - 80 (Reuters, GACC, V)"),
    ("CN", "rare_earth_processing", "CN", "magnets", 5200,
     "U: China's domestic oxide/metal sales to its magnet makers (China ≈90% of refining, IEA via USGS, S)"),
    ("MY", "rare_earth_processing", "JP", "magnets", 180,
     "U: Lynas Malaysia separated oxides to Japanese magnet makers"),
    ("MY", "rare_earth_processing", "CN", "magnets", 205, "U: Lynas Malaysia oxides sold to China"),
    ("JP", "rare_earth_processing", "JP", "magnets", 100, "U: Japanese refiners to domestic magnet makers"),
    ("EU", "rare_earth_processing", "EU", "magnets", 60, "U: Silmet to European magnet makers (VAC)"),
    ("ROW", "rare_earth_processing", "ROW", "magnets", 60, "U: other refiners to other magnet makers"),
    # magnets -> autos (EV motors) and electronics. China's magnet exports 58,152 t, US$2.86 bn (Adamas
    # Intelligence, GACC, 2024, V); US sintered NdFeB imports Q1 2024 US$69.9 m, China 58.4 m (Rare Earth
    # Exchanges, 2 Jun 2025, S), x4 for a year
    ("CN", "magnets", "US", "autos", 140, "D: 58.4 x 4 ≈ 234 from China (Rare Earth Exchanges, S); U: 140 to autos"),
    ("CN", "magnets", "US", "electronics", 94, "D: 234 - 140 to electronics"),
    ("JP", "magnets", "US", "autos", 30, "D: (69.9 - 58.4) x 4 ≈ 46 non-China (Rare Earth Exchanges, S); U: Japan 30"),
    ("EU", "magnets", "US", "autos", 16, "D: 46 - 30 from Europe"),
    ("CN", "magnets", "JP", "autos", 300, "D: part of China's magnet exports 2,860 (Adamas, V); U: split"),
    ("CN", "magnets", "EU", "autos", 700, "D: part of China's magnet exports 2,860 (Adamas, V); U: split"),
    ("CN", "magnets", "KR", "electronics", 150, "D: part of China's magnet exports 2,860 (Adamas, V); U: split"),
    ("CN", "magnets", "KR", "autos", 150, "D: part of China's magnet exports 2,860 (Adamas, V); U: split"),
    ("CN", "magnets", "VN", "electronics", 150, "D: part of China's magnet exports 2,860 (Adamas, V); U: split"),
    ("CN", "magnets", "TH", "autos", 150, "D: part of China's magnet exports 2,860 (Adamas, V); U: split"),
    ("CN", "magnets", "MY", "electronics", 60, "D: part of China's magnet exports 2,860 (Adamas, V); U: split"),
    ("CN", "magnets", "ROW", "autos", 500, "D: part of China's magnet exports 2,860 (Adamas, V); U: split"),
    ("CN", "magnets", "ROW", "electronics", 466,
     "D: 2,860 - 234 (US) - 300 - 700 - 300 - 150 - 150 - 60 - 500 (Adamas, V)"),
    ("CN", "magnets", "CN", "autos", 7000,
     "U: China's domestic NdFeB use in EV motors (China ≈94% of magnet output, S)"),
    ("CN", "magnets", "CN", "electronics", 4500, "U: China's domestic magnet use in electronics"),
    ("JP", "magnets", "JP", "autos", 400, "U: Japanese magnet makers (Shin-Etsu, TDK, Proterial) to domestic autos"),
    ("JP", "magnets", "JP", "electronics", 100, "U: Japanese magnet makers to domestic electronics"),
    ("JP", "magnets", "EU", "autos", 50, "U: Japanese magnets to European autos"),
    ("EU", "magnets", "EU", "autos", 200, "U: European magnet makers (VAC) to European autos"),
    ("US", "magnets", "US", "autos", 125, "U: small US magnet industry (ferrite, SmCo, bonded NdFeB), output ≈250"),
    ("US", "magnets", "US", "electronics", 125, "U: small US magnet industry, electronics part"),
    ("ROW", "magnets", "ROW", "autos", 200, "U: other magnet makers"),
]

# ---------------------------------------------------------------------------------------------
# Markets: world sales, producer shares, buyer shares, home bias, anchors, use split by buyer sector.
DEFAULT = "*"
MARKETS = {
    "chips": dict(
        label="finished chips out of assembly, test and packaging (HS 8541 ex-solar, 8542)",
        world=600_000, world_source="U: world semiconductor sales ≈US$600 bn (2024)",
        producers={"TW": .28, "CN": .22, "MY": .13, "KR": .10, "SG": .05, "VN": .04, "PH": .04, "TH": .03,
                   "JP": .04, "US": .03, "EU": .02, "ROW": .02},
        producers_source=("V: Malaysia 13% of world assembly/test/packaging (MIDA; CNA; SEMI); S: US ≈3% of APT "
                          "(The Diplomat 2023); S: SE Asia ≈27% of testing and packaging (Digitimes 2022); "
                          "U: other shares (SIA/BCG 2021 ATP China ≈38%, Taiwan ≈19% is unverified)"),
        buyers={"CN": .33, "US": .09, "VN": .07, "TW": .06, "KR": .06, "JP": .06, "EU": .09, "MY": .015,
                "TH": .03, "SG": .015, "PH": .02, "ID": .005, "ROW": .145},
        buyers_source=("D: US use ≈54 bn = imports ≈40 bn (Bernama/AEI, V) + domestic ATP output; U: other "
                       "economies' use (China the largest electronics assembler)"),
        home_bias=3.0, imports_complete=["US"],
        anchors={  # US imports by partner, 2024 (HS 8541 ex-solar + 8542)
            ("TW", "US"): (11_900, "S: Motley Fool Research, semiconductor trade statistics (Census), 2024"),
            ("MY", "US"): (10_300, "S: Motley Fool Research (Census), 2024"),
            ("KR", "US"): (2_500, "S: Motley Fool Research (Census), 2024"),
            ("EU", "US"): (2_200, "S: Motley Fool Research (Census), 2024: Ireland"),
            ("ROW", "US"): (6_500, "D: Israel 4.6 bn (Motley Fool Research, S) + Costa Rica, Mexico ≈1.9 bn (U)"),
            ("VN", "US"): (2_000, "U: Vietnam ranks 6th among sources (Bernama 30 Sep 2025 citing AEI, V); value U"),
            ("CN", "US"): (1_000, "U: China ranks 9th among sources (Bernama 30 Sep 2025 citing AEI, V); value U"),
            ("PH", "US"): (1_000, "U: not among the top sources named by AEI (Bernama 30 Sep 2025)"),
            ("SG", "US"): (1_000, "U: not among the top sources named by AEI (Bernama 30 Sep 2025)"),
            ("TH", "US"): (800, "U: not among the top sources named by AEI (Bernama 30 Sep 2025)"),
            ("JP", "US"): (800, "U: not among the top sources named by AEI (Bernama 30 Sep 2025)"),
        },
        uses={DEFAULT: {"electronics": .78, "autos": .12, "final": .10},
              "US": {"electronics": .55, "autos": .15, "final": .30}},
        uses_source="U: use split; US final = data-centre and other investment buyers",
    ),
    "wafer_fab": dict(
        label="fabricated wafers and dies, sold to assembly/test",
        world=400_000, world_source="U: wafer value ≈2/3 of finished-chip value",
        producers={"TW": .29, "KR": .19, "CN": .15, "US": .10, "JP": .09, "EU": .07, "SG": .05, "MY": .015,
                   "ROW": .045},
        producers_source=("V: US 10% of world fab capacity (SIA/BCG 2024), taken as its share of value; S: China "
                          "24%, Taiwan/Korea lead <10 nm (SIA/BCG 2024 via thincb2b); S: Singapore 4.7% (eeNews/SEMI "
                          "2020); U: other shares by value (leading-edge Taiwan weighted up, China down)"),
        buyers="chips",  # buyers in proportion to assembly/test output
        home_bias=3.0,
        anchors={("US", "MY"): (7_900, "S: US semiconductor exports to Malaysia 7.9 bn (Motley Fool Research "
                                        "(Census), 2024): dies and wafers for assembly and test")},
        uses={DEFAULT: {"chips": 1.0}},
    ),
    "wafers_materials": dict(
        label="silicon wafers and process materials",
        world=60_000, world_source="U: wafer and materials sales to fabs",
        producers={"TW": .22, "KR": .16, "JP": .14, "CN": .13, "US": .11, "EU": .10, "SG": .04, "MY": .02,
                   "ROW": .08},
        producers_source="U: SIA/BCG 2021 materials value added TW 22, KR 16, JP 14, CN 13% (unverified); rest U",
        buyers="wafer_fab", home_bias=3.0, anchors={}, uses={DEFAULT: {"wafer_fab": 1.0}},
    ),
    "chip_design": dict(
        label="chip design, EDA and IP licensed into wafers",
        world=60_000, world_source="U: design and IP value embedded in fab output",
        producers={"US": .68, "TW": .10, "CN": .10, "EU": .05, "KR": .03, "JP": .02, "ROW": .02},
        producers_source="S: US ≈68% of the fabless market (skillsurf notes, 2021); U: rest",
        buyers="wafer_fab", home_bias=1.5, anchors={}, uses={DEFAULT: {"wafer_fab": 1.0}},
    ),
    "chip_equipment": dict(
        label="semiconductor manufacturing equipment (HS 8486)",
        world=118_000, world_source="D: US exports US$20 bn = 17% of world SME exports (USITC EBOT, Jul 2024, V)",
        producers={"JP": .20, "EU": .20, "SG": .14, "US": .22, "CN": .10, "MY": .04, "KR": .05, "TW": .03,
                   "ROW": .02},
        producers_source=("V: SME export shares Japan 21, Netherlands 21, Singapore 18, US 17% (USITC EBOT, "
                          "Jul 2024); V: Malaysia machinery mainly SME RM33.23 bn 1H 2024 (MATRADE); U: China"),
        buyers={"CN": .26, "TW": .22, "KR": .15, "US": .18, "JP": .06, "EU": .04, "SG": .03, "MY": .03,
                "ROW": .02, "VN": .004, "PH": .003, "TH": .003},
        buyers_source="U: fab spending shares (China's 2024 build-out; US CHIPS Act fabs)",
        home_bias=1.0, imports_complete=["US"],
        anchors={  # US imports of HS 8486, Jan-Nov 2024 annualised (x 12/11)
            ("JP", "US"): (3_820, "D: 3.500 bn Jan-Nov 2024 x 12/11 (note.com citing USITC DataWeb, S)"),
            ("SG", "US"): (2_080, "D: 1.903 bn Jan-Nov 2024 x 12/11 (note.com citing USITC DataWeb, S)"),
            ("EU", "US"): (1_270, "D: Netherlands 1.166 bn Jan-Nov 2024 x 12/11 (note.com citing USITC DataWeb, S)"),
            ("MY", "US"): (1_200, "U: Malaysia's share of US SME imports"),
            ("KR", "US"): (1_500, "U: Korea's share of US SME imports"),
            ("TW", "US"): (800, "U: Taiwan's share of US SME imports"),
            ("ROW", "US"): (2_550, "U: Israel and others"),
            ("CN", "US"): (0, "U: no Chinese tools in US fabs"),
        },
        uses={DEFAULT: {"wafer_fab": .85, "chips": .15}, "VN": {"chips": 1.0}, "PH": {"chips": 1.0},
              "TH": {"chips": 1.0}},
        uses_source="U: 85% of tools to fabs, 15% to assembly/test",
    ),
    "electronics": dict(
        label="electronics: computers, phones, servers, components",
        world=2_500_000, world_source="U: world electronics output ≈US$2.5 tn",
        producers={"CN": .40, "US": .08, "VN": .06, "TW": .06, "KR": .07, "JP": .06, "EU": .07, "MY": .03,
                   "TH": .025, "SG": .015, "PH": .015, "ID": .005, "ROW": .10},
        producers_source="U: assembly shares; V: E&E ≈40% of Malaysia's exports (MITI; MSIA, D)",
        buyers={"US": .22, "CN": .25, "EU": .17, "JP": .05, "KR": .03, "TW": .02, "VN": .025, "MY": .015,
                "TH": .015, "SG": .01, "PH": .01, "ID": .015, "ROW": .17},
        buyers_source="U: final and intermediate use", home_bias=2.0, anchors={},
        uses={DEFAULT: {"electronics": .20, "autos": .05, "final": .75}},
    ),
    "autos": dict(
        label="autos and EVs, incl. parts",
        world=3_000_000, world_source="U: world auto industry ≈US$3 tn",
        producers={"CN": .30, "EU": .20, "US": .15, "JP": .12, "KR": .06, "TH": .02, "ID": .01, "MY": .01,
                   "VN": .005, "PH": .003, "TW": .01, "ROW": .112},
        producers_source="U: production shares", home_bias=4.0, anchors={},
        buyers={"CN": .28, "US": .20, "EU": .20, "JP": .07, "KR": .04, "TH": .015, "ID": .015, "MY": .01,
                "VN": .01, "PH": .01, "TW": .01, "SG": .005, "ROW": .125},
        buyers_source="U: sales shares",
        uses={DEFAULT: {"autos": .15, "final": .85}},
    ),
    "gloves": dict(
        label="rubber gloves (HS 4015)",
        world=10_000, world_source="U: world glove trade ≈US$10 bn (the US$6.0 bn US imports of the seed is U)",
        producers={"MY": .45, "CN": .28, "TH": .15, "VN": .03, "ID": .03, "US": .02, "ROW": .04},
        producers_source="V: Malaysia ≈45%, China ≈28% of the world glove market (MARGMA, 24 Feb 2025); U: rest",
        buyers={"US": .35, "EU": .22, "JP": .06, "CN": .06, "KR": .02, "TW": .02, "MY": .01, "TH": .01,
                "VN": .01, "ID": .01, "PH": .01, "SG": .01, "ROW": .19},
        buyers_source="U: the US the largest importer (USITC 'Glove Story', Jun 2021, V)", home_bias=1.0,
        anchors={
            ("MY", "US"): (1_645, "D: 47% of US glove imports 3,500 in 2024 (Tengku Zafrul, MITI 1Q2025 briefing, The "
                                  "Sun 5 Jun 2025, V); below the bound of all Malaysian rubber products to the US, "
                                  "RM7.41 bn / RM4.21 per US$ = 1,760 (MITI; Bernama, V)"),
            ("CN", "US"): (690, "D: China 19.7% of US glove imports (sharetisfy, USITC DataWeb 2020, S) x 3,500"),
        },
        uses={DEFAULT: {"final": 1.0}},
    ),
}

# Sectors that buy each market's output (for the markets whose buyers follow another market's producers).
SECTOR_ORDER = ["rare_earth_mining", "rare_earth_processing", "magnets", "wafers_materials", "chip_design",
                "wafer_fab", "chips", "chip_equipment", "electronics", "autos", "gloves", "other"]


def ras(seed: np.ndarray, rows: np.ndarray, cols: np.ndarray, iterations: int = 2000) -> np.ndarray:
    """Scale `seed` so its row sums equal `rows` and column sums `cols` (iterative proportional fitting)."""
    m = seed.copy()
    for _ in range(iterations):
        r = m.sum(1)
        m *= np.divide(rows, r, out=np.zeros_like(r), where=r > 0)[:, None]
        c = m.sum(0)
        m *= np.divide(cols, c, out=np.zeros_like(c), where=c > 0)[None, :]
        if np.abs(m.sum(1) - rows).max() < 1e-6 * rows.sum():
            break
    return m


def market_flows(sector: str, spec: dict) -> list[tuple]:
    """Bilateral flows of one market, split over buyer sectors: rows (exporter, sector, importer, buyer, value, src)."""
    n = len(ECONOMIES)
    idx = {e: i for i, e in enumerate(ECONOMIES)}
    world = spec["world"]
    supply = np.array([spec["producers"].get(e, 0.0) for e in ECONOMIES]) * world
    buyers = spec["buyers"]
    if isinstance(buyers, str):  # buyers in proportion to another market's producers
        buyers = MARKETS[buyers]["producers"]
    demand = np.array([buyers.get(e, 0.0) for e in ECONOMIES])
    demand = demand / demand.sum() * world
    fixed = np.zeros((n, n))
    is_anchor = np.zeros((n, n), bool)
    for (o, d), (value, _) in spec["anchors"].items():
        fixed[idx[o], idx[d]] = value
        is_anchor[idx[o], idx[d]] = True
    seed = np.outer(supply, demand) * np.where(np.eye(n, dtype=bool), spec["home_bias"], 1.0)
    seed[is_anchor] = 0.0
    # buyers whose imports the anchors give in full buy the rest from home producers only
    for d in spec.get("imports_complete", []):
        seed[:, idx[d]] *= np.arange(n) == idx[d]
    fitted = ras(seed, np.maximum(supply - fixed.sum(1), 0), np.maximum(demand - fixed.sum(0), 0))
    flows = np.where(is_anchor, fixed, fitted)
    fit_source = (f"D: RAS fit of the {sector} market around its anchors (producer and buyer shares with their "
                  f"sources in docs/calibration.md); U: the bilateral split")
    rows = []
    for i, o in enumerate(ECONOMIES):
        for j, d in enumerate(ECONOMIES):
            value = flows[i, j]
            if not is_anchor[i, j] and value < MIN_FLOW:
                continue
            source = spec["anchors"][(o, d)][1] if is_anchor[i, j] else fit_source
            uses = spec["uses"].get(d, spec["uses"][DEFAULT])
            uses_note = spec.get("uses_source", "U: use split")
            for buyer, share in uses.items():
                part = round(value * share)
                if part > 0 and (part >= MIN_FLOW or is_anchor[i, j]):
                    note = source if len(uses) == 1 else f"{source}; {share:.0%} to {buyer} ({uses_note})"
                    rows.append((o, sector, d, buyer, part, note))
    return rows


def cap_inputs(intermediate: list[tuple], sales: dict) -> tuple[list[tuple], list[tuple]]:
    """Scale down the fitted inputs of cells that would buy more than MAX_INPUT_SHARE of their output.

    The excess is booked as final use (investment, own use) by the same economy, so every producer
    still sells its share and every economy still buys its share of each market.
    """
    bought = {}
    for _, _, d, b, v, _ in intermediate:
        bought[(d, b)] = bought.get((d, b), 0) + v
    hand = {(o, s, d, b) for o, s, d, b, _, _ in FLOWS}
    kept, moved = [], []
    for o, s, d, b, v, src in intermediate:
        cap = MAX_INPUT_SHARE * sales.get((d, b), 0.0)
        if (o, s, d, b) in hand or bought[(d, b)] <= cap:
            kept.append((o, s, d, b, v, src))
            continue
        part = round(v * cap / bought[(d, b)])
        note = f"; scaled to keep {d}.{b}'s inputs at {MAX_INPUT_SHARE:.0%} of its output, the rest is final use"
        if part > 0:
            kept.append((o, s, d, b, part, src + note))
        moved.append((o, s, d, v - part, f"D: {d}.{b}'s purchases above {MAX_INPUT_SHARE:.0%} of its output "
                                         f"(investment and own use); {src}"))
    return kept, moved


def other_flows(outputs: dict[tuple[str, str], float]) -> list[tuple]:
    """The rest of each economy: `other` inputs to every cell, `other` trade, and its final use."""
    rows = []
    for (economy, sector), output in outputs.items():
        if sector != "other" and output > 0:
            rows.append((economy, "other", economy, sector, round(output * OTHER_INPUT_SHARE),
                         f"U: {OTHER_INPUT_SHARE:.0%} of the cell's output bought from domestic other"))
    size = np.array([OTHER_OUTPUT[e] for e in ECONOMIES])
    for i, buyer in enumerate(ECONOMIES):
        rows.append((buyer, "other", buyer, "other", round(size[i] * OTHER_DOMESTIC_SHARE),
                     f"{OTHER_SOURCE}; U: {OTHER_DOMESTIC_SHARE:.0%} of it bought from domestic other"))
        partners = size.copy()
        partners[i] = 0
        imports = size[i] * OTHER_IMPORT_SHARE * partners / partners.sum()
        for j, seller in enumerate(ECONOMIES):
            if imports[j] >= MIN_FLOW:
                note = f"U: {OTHER_IMPORT_SHARE:.0%} of the buyer's other output imported, split by partner size"
                rows.append((seller, "other", buyer, "other", round(imports[j]), note))
    return rows


def build() -> tuple[list[tuple], list[tuple]]:
    """All intermediate and final-demand rows of the 2024 table."""
    rows = [tuple(f) for f in FLOWS]
    for sector, spec in MARKETS.items():
        rows += market_flows(sector, spec)
    intermediate = [r for r in rows if r[3] != "final"]
    final = [(o, s, d, v, src) for o, s, d, b, v, src in rows if b == "final"]
    sales = {}
    for o, s, _, _, v, _ in intermediate:
        sales[(o, s)] = sales.get((o, s), 0) + v
    for o, s, _, v, _ in final:
        sales[(o, s)] = sales.get((o, s), 0) + v
    intermediate, moved = cap_inputs(intermediate, sales)
    final += moved
    outputs = dict(sales)
    for e in ECONOMIES:
        outputs[(e, "other")] = OTHER_OUTPUT[e]
    intermediate += other_flows(outputs)
    # final demand for `other`: what is left of each economy's other output
    other_sold = {e: 0.0 for e in ECONOMIES}
    for o, s, _, _, v, _ in intermediate:
        if s == "other":
            other_sold[o] += v
    for e in ECONOMIES:
        rest = OTHER_OUTPUT[e] - other_sold[e]
        final.append((e, "other", e, round(rest), f"D: other output less its intermediate sales; {OTHER_SOURCE}"))
    merged: dict[tuple, list] = {}
    for o, s, d, v, src in final:
        entry = merged.setdefault((o, s, d), [0, []])
        entry[0] += v
        entry[1].append(src)
    final = [(o, s, d, v, " + ".join(srcs)) for (o, s, d), (v, srcs) in merged.items()]
    return intermediate, final


def write(intermediate: list[tuple], final: list[tuple], folder: Path = HERE) -> None:
    order = {s: i for i, s in enumerate(SECTOR_ORDER)}
    intermediate = sorted(intermediate, key=lambda r: (order[r[1]], r[0], r[2], order[r[3]]))
    final = sorted(final, key=lambda r: (order[r[1]], r[0], r[2]))
    with open(folder / "io_2024_intermediate.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["exporter", "sector", "importer", "buyer_sector", "value", "source"])
        w.writerows(intermediate)
    with open(folder / "io_2024_final_demand.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["exporter", "sector", "importer", "value", "source"])
        w.writerows(final)


if __name__ == "__main__":
    inter, fin = build()
    write(inter, fin)
    print(f"wrote {len(inter)} intermediate and {len(fin)} final-demand rows to {HERE}")
