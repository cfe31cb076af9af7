"""sim as a user gets it from `pip install .`: a wheel built from the tracked files, installed (not editable)
into a fresh environment, used from another folder, offline. Every command of the README's quick start
must work there, find the packaged scenarios and sweep specs by name, write only under the working folder
(and the user's cache), and leave the installed package and the checkout untouched.

The fresh environment gets sim's dependencies from this checkout's environment through a `.pth` line
(a folder named in a `.pth` file is put on the path without running its own `.pth` files, so the
checkout's editable install stays out of it), and the data files they installed in their prefix
(jupyter's widget configuration, solara's front end) by links; sim itself comes only from the wheel.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import stop_group

import sim

CHECKOUT = Path(__file__).resolve().parents[1]
SOURCE_FOLDERS = ("sim", "configs", "docs", "experiments", "benchmarks", "tests")


def _files(folder: Path, skip_bytecode: bool = False) -> dict[str, float]:
    """Every file under `folder` with its modification time (Python's own .pyc left out if asked)."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")
            if p.is_file() and not (skip_bytecode and p.suffix == ".pyc")}


def _checkout_files() -> dict[str, float]:
    return {f"{name}/{path}": stamp for name in SOURCE_FOLDERS
            for path, stamp in _files(CHECKOUT / name, skip_bytecode=True).items()}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(environment's bin folder, installed package folder, environment variables, working folder)."""
    root = tmp_path_factory.mktemp("install")
    tree = root / "tree"  # the tracked files only, as a clean clone has them
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=CHECKOUT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (CHECKOUT / name).is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(CHECKOUT / name, tree / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                    "-w", str(root / "dist"), str(tree)], check=True, capture_output=True)
    wheel = next((root / "dist").glob("sim-*.whl"))
    env_dir = root / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, capture_output=True)
    python = env_dir / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    (purelib / "sim_dependencies.pth").write_text("\n".join(site.getsitepackages()
                                                            + [sysconfig.get_path("purelib")]) + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                   check=True, capture_output=True)
    for data in ("etc/jupyter", "share/jupyter", "share/solara"):  # data files the dependencies put in the prefix
        if (Path(sys.prefix) / data).is_dir():
            (env_dir / data).parent.mkdir(parents=True, exist_ok=True)
            (env_dir / data).symlink_to(Path(sys.prefix) / data)
    work = root / "work"
    work.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV", "NUMBA"))}
    env |= {"XDG_CACHE_HOME": str(root / "cache"), "PATH": f"{env_dir / 'bin'}:{env.get('PATH', '')}"}
    return env_dir / "bin", purelib / "sim", env, work


def _sim(installed, *args: str, timeout: float = 300) -> str:
    bin_dir, _, env, work = installed
    done = subprocess.run([str(bin_dir / "sim"), *args], cwd=work, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"sim {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _python(installed, *lines: str) -> list[str]:
    """What each line of Python prints in the fresh environment."""
    bin_dir, _, env, work = installed
    return [subprocess.run([str(bin_dir / "python"), "-c", line], cwd=work, env=env, capture_output=True, text=True,
                           check=True).stdout.strip() for line in lines]


def test_the_wheel_runs_every_quick_start_command_from_another_folder(installed):
    bin_dir, package, env, work = installed
    package_before, checkout_before = _files(package.parent), _checkout_files()  # every installed file
    where, hint = _python(installed, "import sim; print(sim.__file__)",
                          "from sim.extras import install_hint; print(install_hint('viz'))")
    assert Path(where).parent == package, where
    version = re.escape(sim.__version__)
    assert re.fullmatch(rf"pip install '/\S+/sim-{version}-py3-none-any\.whl\[viz\]'", hint), hint

    assert _sim(installed, "--version").strip() == f"sim {sim.__version__}"
    listing = _sim(installed, "list")
    assert "us_tariffs_2025" in listing and "tiny_grid" in listing
    _sim(installed, "run", "tiny", "--steps", "30", "--quiet")
    summary = json.loads((work / "results" / "tiny" / "summary.json").read_text())
    assert summary["scenario"] == "tiny"
    _sim(installed, "sweep", "tiny_grid", "--workers", "1", "--quiet")
    assert (work / "results" / "sweeps" / "tiny_grid" / "manifest.json").is_file()
    report = _sim(installed, "validate", "--quick")
    assert re.search(r"^(\d+) of \1 checks pass$", report, re.MULTILINE), report
    assert (work / "results" / "validation" / "validation.md").is_file()

    assert _files(package.parent) == package_before, "sim wrote into its installed package or its environment"
    assert _checkout_files() == checkout_before, "sim wrote into the checkout"
    compiled = list((Path(env["XDG_CACHE_HOME"]) / "sim" / "numba").rglob("*.nbi"))
    assert compiled, "the compiled kernels were not cached in the user's cache folder"


def test_the_wheel_serves_the_browser_view_offline(installed):
    bin_dir, _, env, work = installed
    log = work / "viz.log"
    with log.open("w") as out:
        proc = subprocess.Popen([str(bin_dir / "sim"), "viz", "tiny", "--port", "0"], cwd=work, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        page, deadline = None, time.monotonic() + 90
        while page is None and time.monotonic() < deadline and proc.poll() is None:
            match = re.search(r"at (http://127\.0\.0\.1:\d+/)", log.read_text())
            if match:
                try:
                    page = urllib.request.urlopen(match.group(1), timeout=5).read().decode()
                except OSError:
                    time.sleep(0.5)
            else:
                time.sleep(0.5)
        assert page is not None, f"the server did not start:\n{log.read_text()}"
        assert "assets are not installed" not in log.read_text(), log.read_text()
        scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
        assert scripts and not [s for s in scripts if s.startswith(("http:", "https:", "//"))], scripts
        address = match.group(1)
        for src in scripts:  # every script the page needs comes from the local server
            with urllib.request.urlopen(address + src.lstrip("/"), timeout=10) as answer:
                assert answer.status == 200 and answer.read(), src
    finally:
        stop_group(proc)
