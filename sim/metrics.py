"""Disruption metrics of a series against its reference (MODEL.md section 6).

Loss per step is `1 - run / reference`. From it: the peak loss and when it happened, the
cumulative loss in days of reference throughput, the time to recover (from the first step the
loss exceeds the tolerance to the step after which it stays within it), and the level the series
settles at (mean of run / reference over the last tenth of the run).
"""

from __future__ import annotations

import numpy as np

RECOVERY_TOLERANCE = 0.01


def loss_path(run: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Loss share per step; 0 where the reference is 0."""
    return np.divide(reference - run, reference, out=np.zeros_like(run, dtype=float), where=reference > 0)


def disruption(
    run: np.ndarray, reference: np.ndarray, days_per_step: float = 1.0, tolerance: float = RECOVERY_TOLERANCE
) -> dict[str, float | None]:
    """Headline disruption figures of one series (per-step values) against its reference.

    >>> disruption(np.array([1.0, 0.5, 0.9, 1.0]), np.ones(4))["peak_loss_pct"]
    50.0
    """
    loss = loss_path(np.asarray(run, float), np.asarray(reference, float))
    if len(loss) == 0:
        return {"peak_loss_pct": 0.0, "peak_day": None, "cumulative_loss_days": 0.0,
                "recovery_days": 0.0, "final_level_pct": 100.0}
    peak = int(np.argmax(loss))
    outside = np.flatnonzero(np.abs(loss) > tolerance)
    if len(outside) == 0:
        recovery: float | None = 0.0
    elif outside[-1] == len(loss) - 1:
        recovery = None  # still outside the tolerance at the end of the run
    else:
        recovery = float((outside[-1] - outside[0] + 1) * days_per_step)
    tail = max(1, len(loss) // 10)
    return {
        "peak_loss_pct": float(100 * max(loss[peak], 0.0)),
        "peak_day": float((peak + 1) * days_per_step) if loss[peak] > 0 else None,
        "cumulative_loss_days": float(loss.sum() * days_per_step),
        "recovery_days": recovery,
        "final_level_pct": float(100 * (1 - loss[-tail:].mean())),
    }
