"""Every malformed input of the corpus exits with status 2 and one bounded error line, no traceback.

The cases (corpus.py) span scenario YAML, CSV tables, `--set`, command-line flags, sweep specs and
pymrio systems. Each runs through `sim.cli.main` as the `sim` command would (a few also as a real
`sim` process); the message must name what the case expects, stay under MAX_MESSAGE characters and
come within seconds, whatever the input's size.
"""

import subprocess
import sys
import time
from pathlib import Path

import pytest
from corpus import CASES, MRIO_CASES, Case, _system

from sim.cli import main
from sim.errors import MAX_MESSAGE, ScenarioError
from sim.network.mrio import scenario_from_mrio

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "configs" / "scenarios"


def placed(text, folder: Path):
    if isinstance(text, bytes):
        return text
    return text.replace("@DIR@", str(folder)).replace("@SCEN@", str(SCENARIOS))


def prepare(case: Case, folder: Path) -> list[str]:
    for name, content in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        content = placed(content, folder)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return [placed(arg, folder) for arg in case.argv]


def test_the_corpus_is_large_and_its_cases_distinct():
    names = [case.name for case in CASES] + [name for name, *_ in MRIO_CASES]
    assert len(names) >= 60 and len(set(names)) == len(names)
    assert len({(tuple(c.argv), tuple(sorted(c.files.items()))) for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input_exits_2_with_one_bounded_line(case, tmp_path, capsys):
    argv = prepare(case, tmp_path)
    before = files_in(tmp_path)
    started = time.perf_counter()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors: usage, then one error line
        code = exc.code
    elapsed = time.perf_counter() - started
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, err
    assert "Traceback" not in err and lines, err
    assert lines[-1].startswith(("error: ", "sim: error: ", "usage:")) or ": error: " in lines[-1], err
    assert len(err) <= MAX_MESSAGE + 500 and elapsed < 20, (len(err), elapsed)
    for words in case.expect:
        assert words in err, f"{words!r} not in {err!r}"
    assert files_in(tmp_path) == before  # refused before anything was written


def files_in(folder: Path) -> set[Path]:
    """Every file under `folder`, but a sweep folder's (empty) lock."""
    return {p for p in folder.rglob("*") if p.is_file() and p.name != ".lock"}


@pytest.mark.parametrize("name", ["binary scenario file", "alias bomb", "missing sweep spec", "negative seed"])
def test_a_real_sim_process_prints_no_traceback(name, tmp_path):
    case = next(c for c in CASES if c.name == name)
    argv = prepare(case, tmp_path)
    done = subprocess.run([sys.executable, "-m", "sim", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert all(words in done.stderr for words in case.expect), done.stderr


@pytest.mark.parametrize(("name", "change", "options", "expect"), MRIO_CASES, ids=[c[0] for c in MRIO_CASES])
def test_a_malformed_pymrio_system_is_one_clear_error(name, change, options, expect):
    io = _system(change)
    with pytest.raises(ScenarioError) as caught:
        scenario_from_mrio(io, **options)
    message = str(caught.value)
    assert len(message) <= MAX_MESSAGE
    for words in expect:
        assert words in message, f"{words!r} not in {message!r}"
