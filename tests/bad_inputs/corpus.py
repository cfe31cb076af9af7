"""Malformed inputs a researcher can give sim, each with the words its one-line error must contain.

A case is a command line (`argv`, as typed after `sim`) and the files it reads (`files`: name ->
text or bytes, written into a fresh folder). In both, `@DIR@` stands for that folder, `@SCEN@` for
configs/scenarios and `@TINY@` for the tiny trade-war scenario. `expect` holds substrings of the
message; every case must exit with status 2, print no traceback and end with one error line.
`MRIO_CASES` are malformed pymrio systems given to `scenario_from_mrio` from Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TINY = "extends: @SCEN@/tiny_trade_war.yaml\n"
RUN = ["run", "@DIR@/s.yaml", "--out", "@DIR@/out", "--quiet"]
SWEEP = ["sweep", "@DIR@/w.yaml", "--workers", "0", "--out", "@DIR@/out", "--quiet", "--no-figures"]
SPEC = """name: bad
base: tiny_trade_war
steps: 20
design: {type: grid}
parameters:
  - {name: tariff_cn, path: tariffs.applied.0.rate, values: [0.1, 0.3]}
outputs: {metrics: [tariff_revenue]}
"""
IO_HEADER = "exporter,sector,importer,buyer_sector,value\n"
IO_ROWS = "CN,materials,CN,chips,300\nMY,chips,US,electronics,500\n"
TARIFF_HEADER = "importer,exporter,sector,rate,flag,source\n"


@dataclass
class Case:
    name: str
    argv: list[str]
    expect: list[str]
    files: dict[str, str | bytes] = field(default_factory=dict)


def scenario(name: str, text: str, *expect: str, extends: bool = True) -> Case:
    """A scenario file run with `sim run`; `text` is written after `extends: tiny_trade_war` unless not."""
    return Case(name, RUN, list(expect), {"s.yaml": (TINY if extends else "") + text})


def override(name: str, setting: str, *expect: str) -> Case:
    return Case(name, ["run", "tiny_trade_war", "--set", setting, "--out", "@DIR@/out", "--quiet"], list(expect))


def io_csv(name: str, csv: str | bytes, *expect: str) -> Case:
    """The tiny scenario with its intermediate flows read from a CSV file."""
    return Case(name, RUN, list(expect), {"s.yaml": TINY + "io: {intermediate: io.csv}\n", "io.csv": csv})


def tariff_csv(name: str, csv: str, *expect: str) -> Case:
    return Case(name, RUN, list(expect), {"s.yaml": TINY + "tariffs: {baseline: t.csv}\n", "t.csv": csv})


def sweep(name: str, text: str, *expect: str, argv: list[str] = SWEEP) -> Case:
    return Case(name, argv, list(expect), {"w.yaml": text})


def deep_list(depth: int) -> str:
    return "seed: " + "[" * depth + "]" * depth + "\n"


def deep_map(depth: int) -> str:
    return "engine:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(depth)) + "  " * (depth + 1) + "v: 1\n"


def alias_bomb(levels: int = 9) -> str:
    """A 'billion laughs' under `seed`: 9 levels of 9 aliases each expand to 9**9 strings."""
    nodes = ['&a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    nodes += [f"&a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]" for k in range(1, levels)]
    return "seed: [" + ", ".join(nodes) + "]\n"


CASES: list[Case] = [
    # --- scenario files: reading
    Case("missing scenario file", ["run", "@DIR@/nope.yaml"], ["scenario file not found"]),
    Case("unknown scenario name", ["run", "no_such_scenario"], ["no scenario named 'no_such_scenario'",
                                                                 "known scenarios:", "tiny_trade_war"]),
    Case("binary scenario file", RUN, ["not a text file", "allowed: a YAML text file"],
         {"s.yaml": b"\xff\xfe\x00\x01binary"}),
    scenario("malformed YAML", "time: {steps: [1, 2}\n", "malformed YAML", "line 2"),
    scenario("a list at the top", "- 1\n- 2\n", "must hold a mapping of scenario fields, found list", extends=False),
    scenario("empty file", "", "must hold a mapping of scenario fields, found NoneType", extends=False),
    scenario("impossible date", "time: {start_date: 2025-13-45}\n", "malformed value", "YYYY-MM-DD"),
    scenario("extends a number", "extends: 42\n", "'extends' is a int", extends=False),
    scenario("extends a missing file", "extends: nowhere.yaml\n", "file to extend not found", extends=False),
    Case("extends in a cycle", RUN, ["'extends' forms a cycle"],
         {"s.yaml": "extends: b.yaml\n", "b.yaml": "extends: s.yaml\n"}),
    scenario("unknown key", "sede: 3\n", "unknown key 'sede'", "did you mean 'seed'?"),
    scenario("unknown nested key", "engine: {restoraton_days: 3}\n", "at 'engine.restoraton_days'",
             "did you mean 'restoration_days'?"),
    scenario("text for a number", "seed: abc\n", "at 'seed'", "bad value 'abc'", "valid integer"),
    scenario("append to a scalar", "seed+: [1]\n", "'seed+' appends to a list", "'seed' is a int"),
    scenario("100,000-deep list", deep_list(100_000), "nested too deeply to read", "at most 64 levels"),
    scenario("5,000-deep mapping", deep_map(5_000), "nested too deeply to read"),
    scenario("100-deep list", deep_list(100), "nested more than 64 levels deep"),
    scenario("alias bomb", alias_bomb(), "expands to more than 20,000,000 values", "aliases"),
    scenario("alias inside itself", "seed: &a [1, *a]\n", "alias refers to the value that contains it"),
    scenario("huge value in a message", "seed: [" + ", ".join(["12345678901234567890"] * 50_000) + "]\n",
             "at 'seed'", "bad value [12345678901234567890, 12345678901234567890,", ", ...]: Input"),
    # --- scenario files: policies
    scenario("infinite tariff", "tariffs: {applied: [{importer: US, exporters: [CN], rate: .inf}]}\n",
             "at 'tariffs.applied[0].rate'", "finite"),
    scenario("absurd tariff", "tariffs: {applied: [{importer: US, exporters: [CN], rate: 1.0e+308}]}\n",
             "at 'tariffs.applied[0].rate'", "less than or equal to 10"),
    scenario("infinite increase", "tariffs: {applied: [{importer: US, increase: .inf}]}\n",
             "at 'tariffs.applied[0].increase'", "finite"),
    scenario("negative tariff", "tariffs: {applied: [{importer: US, exporters: [CN], rate: -0.1}]}\n",
             "at 'tariffs.applied[0].rate'", "greater than or equal to 0"),
    scenario("rate and increase", "tariffs: {applied: [{importer: US, exporters: [CN], rate: 0.1, increase: 0.1}]}\n",
             "give exactly one of rate (the rate in force) and increase"),
    scenario("tariff by an unknown economy", "tariffs: {applied: [{importer: XX, exporters: [CN], rate: 0.1}]}\n",
             "unknown economy 'XX'"),
    scenario("tariff on own goods", "tariffs: {applied: [{importer: US, exporters: [US, CN], rate: 1.0}]}\n",
             "US is among its own exporters", "allowed: other economies"),
    scenario("unknown sector", "tariffs: {applied: [{importer: US, exporters: [CN], sectors: [chipz], rate: 0.1}]}\n",
             "unknown sector 'chipz'", "did you mean 'chips'?"),
    scenario("export control on home sales", "export_controls: [{exporter: CN, importers: [CN], share: 1.0}]\n",
             "CN is among its own importers"),
    scenario("export share above 1", "export_controls: [{exporter: CN, share: 1.5}]\n",
             "at 'export_controls[0].share'", "less than or equal to 1"),
    scenario("ends before it starts", "tariffs: {applied: [{importer: US, exporters: [CN], rate: 0.1, "
             "start_day: 50, end_day: 10}]}\n", "end_day 10 is not after start_day 50"),
    scenario("unknown retaliation rule", "retaliation: [{economy: CN, rule: revenge}]\n",
             "at 'retaliation[0].rule'", "revenge"),
    scenario("zero steps in the file", "time: {steps: 0}\n", "at 'time.steps'", "greater than 0"),
    scenario("a thousand years of steps", "time: {steps: 365000}\n", "at 'time.steps'", "at most 100 years"),
    # --- CSV tables
    io_csv("binary IO CSV", b"\xff\xfe\x00binary", "not a text file"),
    io_csv("IO CSV without a column", "exporter,sector,importer,value\nCN,materials,CN,300\n",
           "io.csv", "buyer_sector"),
    io_csv("IO CSV with text for a value", IO_HEADER + "CN,materials,CN,chips,lots\n", "row 2", "lots"),
    io_csv("IO CSV with a duplicated header", "exporter,sector,importer,buyer_sector,value,value\n"
           "CN,materials,CN,chips,300,3\n", "value appear twice in the header"),
    io_csv("IO CSV with a ragged row", IO_HEADER + "CN,materials,CN,chips,300,9\n",
           "row 2 has more fields than the header"),
    io_csv("IO CSV with an unknown economy", IO_HEADER + "XX,materials,CN,chips,300\n" + IO_ROWS, "unknown economy"),
    io_csv("IO CSV with a negative flow", IO_HEADER + "CN,materials,CN,chips,-300\n" + IO_ROWS, "-300"),
    Case("missing IO CSV", RUN, ["cannot read the io.intermediate table", "No such file"],
         {"s.yaml": TINY + "io: {intermediate: io.csv}\n"}),
    tariff_csv("tariff CSV with a bad flag", TARIFF_HEADER + "US,CN,chips,0.1,X,somewhere\n", "row 2", "flag 'X'"),
    tariff_csv("tariff CSV with a repeated line", TARIFF_HEADER + "US,CN,chips,0.1,V,a\nUS,CN,chips,0.2,V,b\n",
               "row 3", "also on row 2"),
    tariff_csv("tariff CSV with an infinite rate", TARIFF_HEADER + "US,CN,chips,inf,V,a\n", "row 2",
               "a finite number"),
    tariff_csv("tariff CSV on own goods", TARIFF_HEADER + "US,US,chips,0.1,V,a\n", "row 2", "own goods"),
    # --- --set overrides
    override("override without =", "engine.restoration_days", "not of the form path.to.field=value"),
    override("override of an unknown key", "engine.restoraton_days=3", "did you mean 'restoration_days'?"),
    override("override with malformed YAML", "seed=[1,[2", "at 'seed'", "malformed YAML"),
    override("override with text for a number", "seed=abc", "at 'seed'", "bad value 'abc'"),
    override("override of a missing list item", "tariffs.applied.99.rate=0.1", "99"),
    override("override with an empty path", "=5", "not of the form"),
    override("override nested too deep", "seed=" + "[" * 100 + "]" * 100, "nested more than 64 levels"),
    override("override of a retaliation rule", "retaliation.MY.rule=revenge", "at 'retaliation[1].rule'", "revenge"),
    # --- command-line flags
    Case("zero steps", ["run", "tiny_trade_war", "--steps", "0"], ["--steps", "a positive number of steps"]),
    Case("negative steps", ["run", "tiny_trade_war", "--steps", "-5"], ["--steps", "a positive number of steps"]),
    Case("a billion steps", ["run", "tiny_trade_war", "--steps", "1000000000"], ["at most 100 years"]),
    Case("negative seed", ["run", "tiny_trade_war", "--seed", "-1"], ["--seed", "allowed: an integer >= 0"]),
    Case("text seed", ["run", "tiny_trade_war", "--seed", "abc"], ["--seed", "not a whole number"]),
    Case("--out on a file", ["run", "tiny_trade_war", "--out", "@DIR@/f"], ["is, or is under, a file"],
         {"f": "a file"}),
    Case("--out under a file", ["run", "tiny_trade_war", "--out", "@DIR@/f/sub"], ["is, or is under, a file"],
         {"f": "a file"}),
    Case("--out in /proc", ["run", "tiny_trade_war", "--out", "/proc/sim-out"], ["cannot write to /proc/sim-out"]),
    Case("unknown command", ["simulate"], ["invalid choice: 'simulate'"]),
    Case("bench of zero firms", ["bench", "--sizes", "0"], ["must be positive"]),
    # --- sweep specs and options
    Case("missing sweep spec", ["sweep", "@DIR@/none.yaml"], ["sweep file not found"]),
    sweep("binary sweep spec", b"\xff\xfe\x00binary", "not a text file"),
    sweep("sweep spec with an unknown key", SPEC + "replicate: 2\n", "unknown key 'replicate'",
          "did you mean 'replicates'?"),
    sweep("sweep of an unknown scenario", SPEC.replace("base: tiny_trade_war", "base: nowhere"), "nowhere"),
    sweep("sweep path not in the scenario", SPEC.replace("tariffs.applied.0.rate", "tariffs.applied.0.rte"),
          "parameters[0]", "rte"),
    sweep("sweep with no values", SPEC.replace("[0.1, 0.3]", "[]"), "empty list of values"),
    sweep("grid over a range without num", SPEC.replace("values: [0.1, 0.3]", "low: 0.1, high: 0.3"),
          "a grid needs discrete values"),
    sweep("sobol n not a power of 2", SPEC.replace("{type: grid}", "{type: sobol, n: 100}")
          .replace("values: [0.1, 0.3]", "low: 0.1, high: 0.3"), "needs a power of 2"),
    sweep("unknown metric", SPEC.replace("tariff_revenue", "tarif_revenue"), "outputs.metrics", "tarif_revenue"),
    sweep("a 100k x 100k grid", SPEC.replace("values: [0.1, 0.3]", "low: 0.0, high: 1.0, num: 100000}\n"
          "  - {name: days, path: engine.switching_days, low: 10, high: 100, num: 100000"),
          "10,000,000,000 runs", "at most 10,000,000"),
    sweep("a value the scenario rejects", SPEC.replace("values: [0.1, 0.3]", "values: [0.1, -3]"),
          "gives an invalid scenario"),
    sweep("more seeds than replicates", SPEC + "replicates: 2\nseeds: [1, 2, 3]\n", "3 seeds for 2 replicates"),
    sweep("negative workers", SPEC, "--workers", "allowed: 0", argv=[*SWEEP[:2], "--workers", "-1"]),
    sweep("no local Dask workers", SPEC, "--dask-local", "positive", argv=[*SWEEP[:2], "--dask-local", "0"]),
    sweep("a scheduler that is no address", SPEC, "--scheduler", "bad address 'my laptop'",
          argv=[*SWEEP[:2], "--scheduler", "my laptop", "--out", "@DIR@/out"]),
    Case("sweep into a folder of another sweep", SWEEP, ["holds results of a different sweep"],
         {"w.yaml": SPEC, "out/manifest.json": '{"spec_hash": "something else"}'}),
    Case("sweep --out under a file", [*SWEEP[:-4], "--out", "@DIR@/f/sub", "--quiet", "--no-figures"],
         ["at '--out'", "is, or is under, a file"], {"w.yaml": SPEC, "f": "a file"}),
    Case("sweep into results without a manifest", SWEEP, ["holds sweep results but no manifest.json"],
         {"w.yaml": SPEC, "out/runs/part-00000.parquet": b"PAR1"}),
    Case("sweep into a folder with a damaged manifest", SWEEP, ["manifest.json is damaged (not JSON)"],
         {"w.yaml": SPEC, "out/manifest.json": '{"spec_hash": '}),
]


def _system(change):
    """pymrio's test system after `change(io)`; `change` breaks it in one way."""
    import pymrio

    io = pymrio.load_test()
    io.calc_all()
    change(io)
    return io


def _set(frame_name: str, value: float, at: tuple[int, int] = (3, 5)):
    def change(io):
        getattr(io, frame_name).iloc[at] = value

    return change


def _drop_z(io):
    io.Z = None


MRIO_CASES: list[tuple[str, object, dict, list[str]]] = [
    ("NaN in Z", _set("Z", float("nan")), {}, ["at 'Z'", "missing or infinite flows in 1 cells", "->"]),
    ("infinite entry in Z", _set("Z", float("inf")), {}, ["at 'Z'", "missing or infinite flows"]),
    ("negative flow in Z", _set("Z", -5.0), {}, ["at 'Z'", "negative intermediate flows in 1 cells",
                                                 "negative_flows='drop'"]),
    ("NaN in Y", _set("Y", float("nan"), (2, 1)), {}, ["at 'Y'", "missing or infinite final demand"]),
    ("no Z", _drop_z, {}, ["the IOSystem needs Z and Y"]),
    ("unknown negative_flows", lambda io: None, {"negative_flows": "abs"}, ["at 'negative_flows'", "'abs'"]),
    ("unknown scenario field", lambda io: None, {"engin": {}}, ["unknown key 'engin'", "did you mean 'engine'?"]),
]
