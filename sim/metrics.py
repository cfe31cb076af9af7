"""Disruption metrics of a series against its reference (docs/model.md, 'Metrics').

Loss per step is `1 - run / reference`; a negative loss is a gain. From it: the peak loss and when
it happened, the cumulative loss in days of reference throughput (gains subtract), the time to
recover and the level the series settles at (mean of run / reference over the last tenth of the run).

Recovery counts losses only: a series is disrupted on a step whose loss exceeds the tolerance (1% of
the reference), and it has recovered once its loss stays within the tolerance (a gain is within it)
for the rest of the run and for at least `RECOVERY_PERSISTENCE_DAYS` (30 days). The recovery time runs
from the first disrupted step to the end of the last one; a series whose last disrupted step comes
less than 30 days before the end of the run has not recovered (None); one never disrupted needs no
recovery (0).
"""

from __future__ import annotations

import numpy as np

RECOVERY_TOLERANCE = 0.01
RECOVERY_PERSISTENCE_DAYS = 30.0
# the definitions' version, recorded in every sweep's manifest: a sweep measured by another one is not resumed
# (2: recovery counts losses only and needs RECOVERY_PERSISTENCE_DAYS within the band)
METRICS_VERSION = 2


def loss_path(run: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Loss share per step; 0 where the reference is 0."""
    return np.divide(reference - run, reference, out=np.zeros_like(run, dtype=float), where=reference > 0)


def disruption(
    run: np.ndarray, reference: np.ndarray, days_per_step: float = 1.0, tolerance: float = RECOVERY_TOLERANCE,
    persistence_days: float = RECOVERY_PERSISTENCE_DAYS,
) -> dict[str, float | None]:
    """Headline disruption figures of one series (per-step values) against its reference.

    >>> disruption(np.array([1.0, 0.5, 0.9, 1.0]), np.ones(4))["peak_loss_pct"]
    50.0
    >>> disruption(np.r_[1.0, 0.5, 0.9, np.ones(40)], np.ones(43))["recovery_days"]
    2.0
    >>> disruption(np.r_[1.0, 0.5, 0.9, np.ones(10)], np.ones(13))["recovery_days"] is None
    True
    """
    loss = loss_path(np.asarray(run, float), np.asarray(reference, float))
    if len(loss) == 0:
        return {"peak_loss_pct": 0.0, "peak_day": None, "cumulative_loss_days": 0.0,
                "recovery_days": 0.0, "final_level_pct": 100.0}
    peak = int(np.argmax(loss))
    disrupted = np.flatnonzero(loss > tolerance)
    if len(disrupted) == 0:
        recovery: float | None = 0.0
    elif (len(loss) - 1 - disrupted[-1]) * days_per_step < persistence_days:
        recovery = None  # within the tolerance for less than the persistence, if at all, when the run ends
    else:
        recovery = float((disrupted[-1] - disrupted[0] + 1) * days_per_step)
    tail = max(1, len(loss) // 10)
    return {
        "peak_loss_pct": float(100 * max(loss[peak], 0.0)),
        "peak_day": float((peak + 1) * days_per_step) if loss[peak] > 0 else None,
        "cumulative_loss_days": float(loss.sum() * days_per_step),
        "recovery_days": recovery,
        "final_level_pct": float(100 * (1 - loss[-tail:].mean())),
    }
