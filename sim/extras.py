"""The optional parts of sim (extras), whether they are installed, and how to install them.

A plain `pip install sim` runs, sweeps and reports scenarios. Three extras add what only some users
need: `viz` (the browser view: solara and its front end, served locally so the page works offline),
`io` (pymrio, to read real MRIO tables) and `validation` (BoARIO and pymrio, for `sim validate`).
`install_hint` words the command for how this copy of sim was installed: an editable checkout gets
`pip install -e '<checkout>[extra]'`, a wheel or folder installed by path gets that path, an install
from an index gets `pip install 'sim[extra]'`.
"""

from __future__ import annotations

import importlib.util
import json
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from sim.errors import ScenarioError

EXTRAS = {
    "viz": ("solara", "ipyvuetify", "ipyvue", "altair", "solara_assets"),
    "io": ("pymrio",),
    "validation": ("boario", "pymrio", "progressbar"),
}


def missing(extra: str) -> list[str]:
    """The modules of `extra` that cannot be imported here."""
    return [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]


def _installed_from() -> tuple[str, bool] | None:
    """(path or VCS URL, editable) when sim was installed from a local path or a repository, or runs from a
    checkout; None when it came from an index."""
    try:
        text = metadata.distribution("sim").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        text = None
        checkout = Path(__file__).resolve().parents[1]
        return (str(checkout), True) if (checkout / "pyproject.toml").is_file() else None
    if not text:
        return None
    origin = json.loads(text)
    url = urlparse(origin.get("url", ""))
    vcs = origin.get("vcs_info")
    if vcs:  # pip install git+https://...: the same source, with the extra
        commit = f"@{vcs['commit_id']}" if vcs.get("commit_id") else ""
        return f"{vcs.get('vcs', 'git')}+{origin['url']}{commit}", False
    if url.scheme != "file":
        return None
    return unquote(url.path), bool(origin.get("dir_info", {}).get("editable"))


def install_hint(extra: str) -> str:
    """The pip command that adds `extra` to this copy of sim."""
    source = _installed_from()
    if source is None:
        return f"pip install 'sim[{extra}]'"
    path, editable = source
    if "+" in path.split("://", 1)[0]:
        return f"pip install 'sim[{extra}] @ {path}'"
    return f"pip install {'-e ' if editable else ''}'{path}[{extra}]'"


def require(extra: str, field: str) -> None:
    """A ScenarioError naming the missing modules and the install command, unless `extra` is installed."""
    absent = missing(extra)
    if absent:
        raise ScenarioError(f"missing {', '.join(absent)} (the '{extra}' extra); allowed: install it with "
                            f"{install_hint(extra)}", field=field)
