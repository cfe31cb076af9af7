"""Names the validation runs against, kept in one place so a switch is one line.

`RECORD_SCENARIO` is the calibrated 2025 scenario whose tariffs and export controls are compared
with the record (and whose network serves the theory checks on a calibrated table); the sector
names are the ones that scenario uses for permanent magnets and rubber gloves. `QUICK` and `FULL`
set run lengths and grids: the quick size is what the tests run (`sim validate --quick`), the full
size what `make validate` writes into docs/validation.md.
"""

from __future__ import annotations

from dataclasses import dataclass

RECORD_SCENARIO = "us_tariffs_2025"
MAGNETS = "magnets"
GLOVES = "gloves"
IMPORTER, TAXED_ORIGIN, NON_RETALIATOR = "US", "CN", "MY"
ARMINGTON_SCENARIO = "tiny"  # US buys chips from US, CN and MY with capacity slack
ARMINGTON_SECTOR = "chips"


@dataclass(frozen=True)
class Size:
    """How much each check runs: steps of the long runs and the Armington grid."""

    stationarity_steps: int
    ledger_steps: int
    armington_steps: int
    armington_sigmas: tuple[float, ...]
    armington_rates: tuple[float, ...]
    boario_steps: int
    record_steps: int
    speed_sizes: tuple[tuple[int, int], ...] = ()  # (regions, sectors) of synthetic MRIOs timed besides the test MRIO
    many_tables: bool = False  # BoARIO on every random table of `sim.validation.tables` (else the first two)
    shocks_per_table: int = 1  # shocks drawn per table for the many-table comparison


FULL = Size(stationarity_steps=730, ledger_steps=365, armington_steps=400, armington_sigmas=(1.0, 2.0, 4.0, 8.0),
            armington_rates=(0.1, 0.25, 0.5, 1.0), boario_steps=300, record_steps=365,
            speed_sizes=((20, 20),), many_tables=True, shocks_per_table=2)
QUICK = Size(stationarity_steps=120, ledger_steps=120, armington_steps=300, armington_sigmas=(2.0, 8.0),
             armington_rates=(0.25, 1.0), boario_steps=150, record_steps=300)

RECORD_START_DATE = "2025-01-01"  # day 0 of the record scenario when its config gives no time.start_date
