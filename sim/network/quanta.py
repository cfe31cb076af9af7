"""Shares held as integers: quanta of 2**-50 of a whole, so that marginals add up exactly."""

from __future__ import annotations

import numpy as np

QUANTA_BITS = 50
QUANTA = 1 << QUANTA_BITS


def to_quanta(weights: np.ndarray) -> np.ndarray:
    """Positive weights as int64 quanta summing to exactly QUANTA (each at least 1; the rounding remainder
    goes to the largest)."""
    quanta = np.maximum(np.floor(weights / weights.sum() * QUANTA).astype(np.int64), 1)
    quanta[np.argmax(quanta)] += QUANTA - int(quanta.sum())
    return quanta
