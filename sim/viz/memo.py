"""What the browser view keeps per model between redraws: one dictionary on the model, gone with it.

`memo(model)` is that dictionary (the figures and their last pictures, the export callables, the
flags and choices computed once); `once(model, key, make)` is the value kept under `key`, made by
`make()` on first use. A Reset builds a new model, so nothing kept outlives the run it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def memo(model: Any) -> dict:
    """The model's own store of what its redraws keep."""
    return vars(model).setdefault("_viz_memo", {})


def once(model: Any, key: Any, make: Callable[[], Any]) -> Any:
    """The value kept for `model` under `key`, made by `make()` the first time it is asked for."""
    kept = memo(model)
    if key not in kept:
        kept[key] = make()
    return kept[key]
