"""Time one Step + redraw of the browser view, server side: `python -m sim.viz.timing [SCENARIO] [options]`.

Renders the page without a browser (`solara.render`) the way the server does: inside a kernel
context of its own with solara's server loaded, so that every panel's subscription shares that
context and a step re-renders the page once (without a kernel context solara gives each subscription
a context of its own and re-renders once per panel). Steps the model `--after K` steps first (a late point
of the run sends long series to the charts), presses Step `--steps N` times and reports the wall time of
each press: the model step, every panel's update (chart options, the network and histogram PNGs,
the tables) and solara's re-render, i.e. everything the server does before the widgets' changes go
to the browser.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")


def time_steps(scenario: str | None, steps: int, after: int = 0) -> dict[str, float]:
    """Seconds per Step press (wall median, max, first; CPU median) after `after` steps, and the model's own
    step time."""
    import ipyvuetify as v
    import solara
    import solara.server.starlette  # noqa: F401  (solara then ties subscriptions to the kernel, as when serving)
    from solara.server import kernel, kernel_context

    from sim.viz.app import Page
    from sim.viz.params import PageModel, start_scenario

    with kernel_context.VirtualKernelContext(id="timing", session_id="timing", kernel=kernel.Kernel()):
        model = solara.reactive(PageModel(scenario or start_scenario()))
        model.value.run_for(after)
        _, rc = solara.render(solara.AppLayout(children=[Page(model)]), handle_error=False)
        button = rc.find(v.Btn, children=["Step"]).widget
        presses, cpu = [], []
        for _ in range(steps):
            started, started_cpu = time.perf_counter(), time.process_time()
            button.click()
            presses.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        started = time.perf_counter()
        for _ in range(steps):
            model.value.step()
        model_step = (time.perf_counter() - started) / steps
        firms = model.value.network.n_firms
        rc.close()
    return {"firms": firms, "median_s": statistics.median(presses), "max_s": max(presses),
            "first_s": presses[0], "cpu_median_s": statistics.median(cpu), "model_step_s": model_step}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=None)
    parser.add_argument("--steps", type=int, default=20, help="Step presses timed")
    parser.add_argument("--after", type=int, default=0, help="steps the model takes before the timed presses")
    args = parser.parse_args()
    result = time_steps(args.scenario, args.steps, args.after)
    print(f"{args.scenario or 'default scenario'} after {args.after} steps: {result['firms']} firms; "
          f"Step + redraw median {result['median_s']:.3f} s, max {result['max_s']:.3f} s, "
          f"first {result['first_s']:.3f} s over {args.steps} presses (CPU median {result['cpu_median_s']:.3f} s); "
          f"the model step alone {1000 * result['model_step_s']:.1f} ms")


if __name__ == "__main__":
    main()
