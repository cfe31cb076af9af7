"""Build the 2024 baseline tariff table (13 importers x 12 exporters x 12 sectors) from sourced figures.

Writes `tariffs_2024.csv` beside this file: one row per cross-border line (importer, exporter, sector)
with the ad-valorem rate in force in 2024, a status flag and the source. Three layers, each later one
overriding the earlier on its lines:

1. **MFN applied rates** by importer and sector: zero under the Information Technology Agreement for
   chips, wafers, chipmaking tools and most electronics; national rates for cars (with parts); the
   simple-average MFN rate for the rest.
2. **Preferential agreements** in force in 2024: a share of the MFN rate kept on the partner's goods
   (0 = duty-free), e.g. ATIGA inside ASEAN, ACFTA, RCEP, KORUS, the US-Singapore FTA, EU agreements.
3. **The 2018-19 trade war**, in force in 2024 in both directions: US Section 301 duties on China and
   China's retaliatory duties on the US, on top of MFN.

Status flags follow ../shared/CALIBRATION.md: V read in a named source, S secondary source, D derived
(formula given), U unverified (an assumption: a sweep range, not a fact). `UNCERTAIN` lists the U
figures that matter most for the scenarios, with the range docs/calibration.md suggests sweeping.
Two increases are solved, not read: those on `other` goods that make the trade-weighted US tariff on
China and China's on the US equal PIIE's averages, weighted by the calibration table's flows (so run
`build_io_2024.py` first). Run `python configs/data/build_tariffs_2024.py` after changing a figure;
`tests/test_tariffs.py` checks the CSV is up to date.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).parent
ECONOMIES = ["US", "CN", "MY", "VN", "TH", "SG", "ID", "PH", "TW", "KR", "JP", "EU", "ROW"]
SECTORS = ["rare_earth_mining", "rare_earth_processing", "magnets", "wafers_materials", "chip_design",
           "wafer_fab", "chips", "chip_equipment", "electronics", "autos", "gloves", "other"]
ASEAN = ["MY", "VN", "TH", "SG", "ID", "PH"]

WTP = "WTO World Tariff Profiles 2024, simple-average MFN applied (a data file reproducing the profiles)"
WTO_MTN = ("WTO MFN applied duties by MTN category, 2024, trade-weighted (WTO download copied in GitHub "
           "sh-mukherjee/wto-tariffs-top5, indicators_mfn_applied_duty_2010.csv)")

# ---------------------------------------------------------------------------------------------
# 1. MFN applied rates. Simple averages (all products, non-agricultural), flag and source.
MFN_AVERAGE = {
    "US": (0.034, 0.031, "S", WTP),
    "CN": (0.075, 0.065, "S", f"{WTP}; 7.42% in 2022 (World Bank WDI)"),
    "EU": (0.051, 0.041, "S", WTP),
    "JP": (0.037, 0.020, "S", WTP),
    "KR": (0.136, 0.066, "S", f"{WTP}; 13.9% in 2021 (WTO Trade Policy Review of Korea, via a summary)"),
    "VN": (0.094, 0.082, "S", f"{WTP}; 11.9% in 2020 (WTO Trade Policy Review of Viet Nam, via a summary)"),
    "TH": (0.098, 0.071, "S", WTP),
    "MY": (0.056, 0.050, "S", "5.6% in 2013 (WTO Trade Policy Review of Malaysia, 2014, reprint); non-agricultural U"),
    "ID": (0.080, 0.075, "U", "about 8%, not found in the sources read (ASEAN peers 5.6-9.8%)"),
    "PH": (0.061, 0.055, "U", "about 6%, not found in the sources read"),
    "TW": (0.064, 0.045, "U", "about 6.4%, not found in the sources read"),
    "SG": (0.0, 0.0, "S", "Singapore levies customs duty on almost no goods (some alcoholic drinks only)"),
    "ROW": (0.08, 0.06, "U", "blend of India (about 17%), Mexico (about 7%), Canada and Australia (2-4%)"),
}
# Trade-weighted MFN averages where found: the rate the `other` sector's trade pays (S).
TRADE_WEIGHTED = {
    "US": (0.017, "WTO 2016 via R Street (7 Feb 2019)"),
    "CN": (0.0218, "World Bank WDI, applied weighted mean, all products, 2022"),
    "EU": (0.020, "WTO 2016 via R Street (7 Feb 2019)"),
    "JP": (0.025, "WTO 2016 via R Street (7 Feb 2019)"),
}
# Elsewhere the `other` rate is the simple average times the mean trade-weighted / simple ratio of those four.
WEIGHTED_RATIO = sum(TRADE_WEIGHTED[e][0] / MFN_AVERAGE[e][0] for e in TRADE_WEIGHTED) / len(TRADE_WEIGHTED)

# Sector rates read by importer (trade-weighted MTN-category averages, S, unless flagged otherwise).
SECTOR_RATES = {
    "rare_earth_processing": {  # inorganic chemicals (RE compounds HS 2846, metals HS 2805.30)
        "US": (0.0118, "S", f"inorganic chemicals ({WTO_MTN})"),
        "CN": (0.0502, "S", f"inorganic chemicals ({WTO_MTN}); HS 2805.30 at 5% (chinesetariff.com)"),
        "EU": (0.0343, "S", f"inorganic chemicals ({WTO_MTN})"),
        "JP": (0.0145, "S", f"inorganic chemicals ({WTO_MTN})"),
    },
    "magnets": {
        "US": (0.021, "V", "HTSUS 8505.11.00, permanent magnets of metal, 2.1% (htshub, HTS 2024 Rev 9; CBP ruling)"),
        "CN": (0.0461, "S", f"electrical machinery ({WTO_MTN})"),
        "EU": (0.0208, "S", f"electrical machinery ({WTO_MTN})"),
        "JP": (0.001, "S", f"electrical machinery ({WTO_MTN})"),
    },
    "wafers_materials": {  # wafers (HS 3818) are ITA goods at 0; process chemicals about 30% of the value (U)
        "US": (0.3 * 0.0128, "D", f"0.3 x chemicals 1.28% ({WTO_MTN}); U: wafers 0 under the ITA, chemicals 30%"),
        "CN": (0.3 * 0.0479, "D", f"0.3 x chemicals 4.79% ({WTO_MTN}); U: wafers 0 under the ITA, chemicals 30%"),
        "EU": (0.3 * 0.0278, "D", f"0.3 x chemicals 2.78% ({WTO_MTN}); U: wafers 0 under the ITA, chemicals 30%"),
        "JP": (0.3 * 0.0120, "D", f"0.3 x chemicals 1.20% ({WTO_MTN}); U: wafers 0 under the ITA, chemicals 30%"),
    },
    "electronics": {  # 40% electrical machinery, 60% computers and telecom equipment (U)
        "US": (0.4 * 0.0154 + 0.6 * 0.0001, "D", f"0.4 x electrical machinery + 0.6 x computers/telecom ({WTO_MTN}); "
                                                 "U: the 0.4/0.6 split"),
        "CN": (0.4 * 0.0461 + 0.6 * 0.0129, "D", f"0.4 x electrical machinery + 0.6 x computers/telecom ({WTO_MTN}); "
                                                 "U: the 0.4/0.6 split"),
        "EU": (0.4 * 0.0208 + 0.6 * 0.0001, "D", f"0.4 x electrical machinery + 0.6 x computers/telecom ({WTO_MTN}); "
                                                 "U: the 0.4/0.6 split"),
        "JP": (0.4 * 0.0010, "D", f"0.4 x electrical machinery + 0.6 x computers/telecom ({WTO_MTN}); "
                                  "U: the 0.4/0.6 split"),
    },
    "autos": {  # cars and parts
        "US": (0.0489, "S", f"motor vehicles ({WTO_MTN}): cars 2.5% (HTSUS 8703, V), light trucks 25%"),
        "CN": (0.1181, "S", f"motor vehicles ({WTO_MTN}); cars 15%, parts 6% since 1 Jul 2018 (State Council notice of "
                            "22 May 2018, reprints)"),
        "EU": (0.0867, "S", f"motor vehicles ({WTO_MTN}); cars 10% (Reuters via NDTV)"),
        "JP": (0.0, "S", f"motor vehicles ({WTO_MTN})"),
        "MY": (0.24, "D", "0.7 x 30% (complete cars, CBU) + 0.3 x 10% (kits, CKD) (Malaysian Automotive Association, "
                          "duty table updated 1 Sep 2018, V); U: the 0.7/0.3 split; excise 75-105% and sales tax fall "
                          "on every car alike and are not modelled"),
        "TH": (0.65, "D", "0.7 x 80% (motor vehicles, export.gov c. 2018, V) + 0.3 x 30% (parts, U)"),
        "KR": (0.08, "U", "8% on cars and most parts (US ITA: autos 3-10%, average 8.3%, 2003-05, S)"),
        "VN": (0.52, "U", "0.7 x 70% (complete cars) + 0.3 x 10% (parts)"),
        "ID": (0.39, "U", "0.7 x 50% (complete cars) + 0.3 x 15% (parts)"),
        "PH": (0.24, "U", "0.7 x 30% (complete cars) + 0.3 x 10% (parts)"),
        "TW": (0.153, "U", "0.7 x 17.5% (small cars since WTO accession, chinaleaven, S) + 0.3 x 10% (parts, U)"),
        "SG": (0.0, "S", "no customs duty (vehicle taxes fall on every car alike)"),
        "ROW": (0.10, "U", "blend: India 21% trade-weighted (WTO MTN 2024, S), Mexico, Canada 6.1%, Australia 5%"),
    },
    "gloves": {  # rubber products (HS 4015)
        "US": (0.0, "V", "medical gloves (HS 4015.12.10) free; 3% only on disposable non-medical gloves (CBP ruling NY "
                         "N342078; HTSUS copies)"),
        "CN": (0.1106, "S", f"rubber and rubber products ({WTO_MTN})"),
        "EU": (0.0293, "S", f"rubber and rubber products ({WTO_MTN})"),
        "JP": (0.0007, "S", f"rubber and rubber products ({WTO_MTN})"),
    },
}
# Where a sector rate is not read: a share of the non-agricultural simple average (U).
SHARE_OF_NON_AGRI = {
    "rare_earth_mining": (0.0, "ores and concentrates enter duty-free in most schedules"),
    "rare_earth_processing": (0.5, "RE compounds and metals at half the non-agricultural average"),
    "magnets": (0.5, "permanent magnets at half the non-agricultural average"),
    "wafers_materials": (0.3, "wafers 0 under the ITA; process chemicals, 30% of the value, at the average"),
    "electronics": (0.4, "ITA goods at 0; the 40% outside the ITA at the average"),
    "gloves": (1.0, "rubber articles at the non-agricultural average"),
}
ZERO = {
    "chip_design": ("S", "design, EDA and IP are licensed services: no customs duty"),
    "wafer_fab": ("S", "ITA: semiconductors (HS 8541, 8542) duty-free for participants; MFN on semiconductors 0% "
                       "in the US, EU, Japan and China, trade-weighted (WTO MTN 2024)"),
    "chips": ("S", "ITA: semiconductors (HS 8541, 8542) duty-free for participants; MFN on semiconductors 0% in the "
                   "US, EU, Japan and China, trade-weighted (WTO MTN 2024); US HTSUS chips free (V, CALIBRATION.md)"),
    "chip_equipment": ("U", "ITA: semiconductor manufacturing equipment duty-free for participants (the participant "
                            "list was not read)"),
}

# ---------------------------------------------------------------------------------------------
# 2. Preferential agreements: (name, importers, exporters, share of MFN kept or ("cap", highest rate), sectors or
#    None for all, flag, source), applied both ways. Later agreements override earlier ones on common lines.
AGREEMENTS = [
    ("ACFTA", ["CN"], ASEAN, 0.1, None, "S",
     "ASEAN-China FTA: duties eliminated on over 90% of tariff lines from 1 Jan 2012; sensitive lines 0-5% by 2018 "
     "(Malaysian Timber Industry Board, V); U: 10% of the MFN rate kept"),
    ("ACFTA, highly sensitive cars", ["CN"], ASEAN, ("cap", 0.5), ["autos"], "U",
     "highly sensitive lines at most 50% from 2015 (Malaysian Timber Industry Board, V); U: cars among them"),
    ("AKFTA", ["KR"], ASEAN, 0.2, None, "U", "ASEAN-Korea FTA (2007): most lines duty-free (Korea Customs Service)"),
    ("AJCEP and bilateral EPAs", ["JP"], ASEAN, 0.2, None, "U", "ASEAN-Japan CEP (2008) and bilateral EPAs"),
    ("China-Korea FTA", ["CN"], ["KR"], 0.5, None, "U", "China-Korea FTA (2015), phasing over 10-20 years"),
    ("RCEP, China/Korea-Japan", ["CN", "KR"], ["JP"], 0.8, None, "U",
     "RCEP (in force 2022), the first FTA between Japan and China or Korea, phasing over 20 years"),
    ("ECFA", ["CN"], ["TW"], 0.9, None, "U", "ECFA early-harvest list only (2010)"),
    ("ATIGA", ASEAN, ASEAN, 0.0, None, "S",
     "ATIGA/CEPT: ASEAN-6 at zero on 99.11% of tariff lines from 1 Jan 2010 (reprint of the ASEAN statement; DTI "
     "Philippines, V); Malaysia 0% on cars from ASEAN (Malaysian Automotive Association, V)"),
    ("KORUS", ["US"], ["KR"], 0.0, None, "S",
     "KORUS in force 15 Mar 2012: 99.2% of US auto exports duty-free at once (US ITA); US 25% on Korean pickups kept "
     "to 2040 (FreightWaves), not modelled"),
    ("US-Singapore FTA", ["US"], ["SG"], 0.0, None, "S", "US-Singapore FTA (2004): HTSUS 'Free (SG)' (HTSUS 8703)"),
    ("USMCA", ["US"], ["ROW"], 0.5, None, "U",
     "USMCA goods duty-free; Mexico and Canada about half of ROW's trade with the US"),
    ("EU-Korea FTA", ["EU"], ["KR"], 0.0, None, "S", "EU-Korea FTA (2011): Korea's car duties on EU cars cut to 0 "
                                                     "(Chosun, Jul 2014)"),
    ("EU-Japan EPA", ["EU"], ["JP"], 0.3, None, "U", "EU-Japan EPA (2019); EU car duty phased out by 2026"),
    ("EU-Singapore FTA", ["EU"], ["SG"], 0.1, None, "U", "EU-Singapore FTA (2019)"),
    ("EU-Vietnam FTA", ["EU"], ["VN"], 0.5, None, "U", "EVFTA (2020), phasing over 7-10 years"),
]

# ---------------------------------------------------------------------------------------------
# 3. The 2018-19 trade war in force in 2024: additional duties on top of MFN (importer, exporter, sectors,
#    increase, flag, source).
PIIE = "PIIE, Bown, 'US-China Trade War Tariffs: An Up-to-Date Chart'"
AVERAGE_US_ON_CN = ("average", 0.193)  # an increase solved for a trade-weighted average (see `_solve`)
AVERAGE_CN_ON_US = ("average", 0.211)
TRADE_WAR = [
    ("US", "CN", ["rare_earth_mining", "rare_earth_processing", "wafers_materials", "chip_equipment"], 0.25, "S",
     "Sec 301 lists 1-3 at 25% (Reuters; list rates U); critical minerals 25% from 27 Sep 2024 (USTR four-year "
     "review, 13 Sep 2024, V)"),
    ("US", "CN", ["wafer_fab", "chips"], 0.25, "V",
     "Sec 301 25% on Chinese chips in 2024, 50% from 1 Jan 2025 (USTR four-year review, 13 Sep 2024)"),
    ("US", "CN", ["gloves"], 0.075, "V",
     "Sec 301 7.5% on Chinese rubber medical gloves in 2024 (USTR four-year review, 13 Sep 2024)"),
    ("US", "CN", ["magnets"], 0.0, "S",
     "Sec 301 on permanent magnets 0% until 25% from 1 Jan 2026 (USTR four-year review via Mondaq)"),
    ("US", "CN", ["electronics"], 0.10, "U",
     "0.4 x Sec 301 25%: phones and laptops (list 4B) never taxed, about 60% of the sector's value (as the 0.4 "
     "factor of the 2025 reciprocal tariff on electronics in us_tariffs_2025)"),
    ("US", "CN", ["autos"], 0.25, "S", "Sec 301 list 1 at 25% on cars and parts (Reuters; EVs 100% from 27 Sep 2024 "
                                       "left out)"),
    ("US", "CN", ["other"], AVERAGE_US_ON_CN, "D",
     f"set so that the trade-weighted US tariff on China is 19.3%, its level from the Feb 2020 phase-one deal to the "
     f"2024 review ({PIIE}, V): Sec 301 lists 1-3 at 25%, list 4A at 7.5%; U: weighted by the 2024 table's flows, "
     "not PIIE's pre-war trade weights"),
    ("CN", "US", ["rare_earth_mining"], 0.25, "U", "China's 25% on US rare-earth concentrate (2019 list)"),
    ("CN", "US", ["autos"], 0.0, "U",
     "China's extra 25% on US cars (40% in Jul 2018, S: Automotive News via eworksglobal) suspended since 1 Jan 2019"),
    ("CN", "US", ["rare_earth_processing", "magnets", "wafers_materials", "electronics", "gloves"], 0.05, "U",
     "China's retaliation on US manufactures after exclusions; chips and tools left off the lists"),
    ("CN", "US", ["other"], AVERAGE_CN_ON_US, "D",
     f"set so that China's trade-weighted tariff on US goods is 21.1% after the Feb 2020 halving, with 58.3% of "
     f"imports from the US covered ({PIIE}, V; 6.7% on the rest of the world in 2019, PIIE blog, V): farm goods, "
     "energy and chemicals carry China's lists; U: weighted by the 2024 table's flows, not PIIE's trade weights"),
]

# The unverified figures that move the scenarios most, with a range to sweep (docs/calibration.md).
UNCERTAIN = [
    ("MY autos (cars and parts)", "0.24", "0.15-0.30"),
    ("CN retaliation on US manufactures (the rest of the 21.1% average falls on other goods)", "+0.05", "0-+0.15"),
    ("US Sec 301 on Chinese electronics (list 4B untaxed)", "+0.10", "+0.05-+0.25"),
    ("electronics share outside the ITA", "0.4", "0.2-0.6"),
    ("ACFTA share of MFN kept", "0.1", "0-0.3"),
]


def _mfn(importer: str, sector: str) -> tuple[float, str, str]:
    """MFN rate, flag and source of one importer's duty on one sector."""
    average, non_agri, flag, source = MFN_AVERAGE[importer]
    if sector in ZERO:
        return (0.0, *ZERO[sector])
    if importer in SECTOR_RATES.get(sector, {}):
        return SECTOR_RATES[sector][importer]
    if sector in SHARE_OF_NON_AGRI:
        share, why = SHARE_OF_NON_AGRI[sector]
        return (share * non_agri, "U",
                f"{share:g} x non-agricultural MFN {100 * non_agri:.1f}% ({flag}: {source}); U: {why}")
    if importer in TRADE_WEIGHTED:
        rate, where = TRADE_WEIGHTED[importer]
        return rate, "S", f"MFN applied, trade-weighted, all products ({where})"
    return (WEIGHTED_RATIO * average, "D",
            f"{WEIGHTED_RATIO:.3f} x simple-average MFN {100 * average:.1f}% ({flag}: {source}); {WEIGHTED_RATIO:.3f} "
            "= mean trade-weighted/simple ratio of the US, China, EU and Japan")


def route_weights() -> dict[tuple[str, str], dict[str, float]]:
    """Baseline trade {(exporter, importer): {sector: value}} of the calibration table beside this file."""
    weights: dict[tuple[str, str], dict[str, float]] = {}
    for name in ("io_2024_intermediate.csv", "io_2024_final_demand.csv"):
        with open(HERE / name, newline="") as handle:
            for row in csv.DictReader(handle):
                route = weights.setdefault((row["exporter"], row["importer"]), {})
                route[row["sector"]] = route.get(row["sector"], 0.0) + float(row["value"])
    return weights


def _solve(weight: dict[str, float], rates: dict[str, float], sectors: list[str], average: float) -> float:
    """The increase on `sectors` that makes the trade-weighted average of `rates` equal `average`."""
    total = sum(weight.values())
    current = sum(weight.get(s, 0.0) * rates[s] for s in SECTORS) / total
    share = sum(weight.get(s, 0.0) for s in sectors) / total
    return round((average - current) / share, 4)


def table() -> list[dict]:
    """Every cross-border line's 2024 rate, flag and source (the three layers of the module docstring)."""
    lines = {(i, e, s): _mfn(i, s) for i in ECONOMIES for e in ECONOMIES if e != i for s in SECTORS}
    for name, importers, exporters, kept, sectors, flag, source in AGREEMENTS:
        for a in importers:
            for b in exporters:
                if a == b:
                    continue
                for i, e in ((a, b), (b, a)):
                    for s in sectors or SECTORS:
                        rate, mfn_flag, mfn_source = _mfn(i, s)
                        worst = max(flag, mfn_flag, key="VSDU".index)
                        if isinstance(kept, tuple):  # a ceiling on the rate
                            preferential, rule = min(rate, kept[1]), f"at most {100 * kept[1]:g}%"
                        else:
                            preferential, rule = kept * rate, f"{kept:g} x MFN"
                        lines[i, e, s] = (preferential, worst, f"{name}: {rule} ({flag}: {source}); MFN "
                                                               f"{100 * rate:.1f}% ({mfn_flag}: {mfn_source})")
    weights = route_weights()
    for importer, exporter, sectors, increase, flag, source in TRADE_WAR:
        if isinstance(increase, tuple):  # solve for the increase that gives the reported average
            rates = {s: lines[importer, exporter, s][0] for s in SECTORS}
            increase = _solve(weights[exporter, importer], rates, sectors, increase[1])
        for s in sectors:
            rate, mfn_flag, mfn_source = lines[importer, exporter, s]
            worst = max(flag, mfn_flag, key="VSDU".index)
            lines[importer, exporter, s] = (rate + increase, worst,
                                            f"trade war +{100 * increase:g} pp ({flag}: {source}) on "
                                            f"{100 * rate:.1f}% ({mfn_flag}: {mfn_source})")
    return [{"importer": i, "exporter": e, "sector": s, "rate": f"{rate:.4f}", "flag": flag, "source": source}
            for (i, e, s), (rate, flag, source) in lines.items()]


def main() -> None:
    rows = table()
    with open(HERE / "tariffs_2024.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} lines to {HERE / 'tariffs_2024.csv'}")


if __name__ == "__main__":
    main()
