"""`sim bench` measures what it says on a small size (figures are reported, never asserted as speed)."""

import json

from sim.bench import run


def test_bench_reports_each_size(tmp_path, capsys):
    out = tmp_path / "scale.json"
    rows = run(sizes=(2000, 4000), links_per_firm=5, steps=5, json_path=out)
    assert [r["firms"] for r in rows] == [2000, 4000]
    assert all(4 * r["firms"] < r["links"] < 7 * r["firms"] for r in rows)
    assert all(r["step_median_s"] > 0 and r["peak_rss_mib"] > 50 and r["steps"] == 5 for r in rows)
    assert all(0 < r["step_cpu_median_s"] < 10 * r["step_median_s"] for r in rows)  # CPU time of the same steps
    assert json.loads(out.read_text())["results"] == rows
    assert all(r["speedup"] > 1 for r in rows)  # the per-agent reference is timed at small sizes
    printed = capsys.readouterr().out
    assert "firm-steps/s" in printed and "per-agent reference" in printed
