"""The browser view in a real browser: `sim viz` serves the page, Debian chromium (driven by playwright)
loads it, presses Step and Play, and the charts and the network image must change, hovering a chart
must show the values of its lines, a line hidden in a chart's legend must stay hidden after a step,
the console must show no errors, no request may leave localhost, and the server must not fetch
anything from the internet. Screenshots are saved to test-artifacts/.

Needs /usr/bin/chromium (`.ci/run` installs it). Without it the test is skipped, unless
SIM_REQUIRE_BROWSER is set (as in CI), in which case it fails.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import stop_group

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PANELS = {"network": "img", "throughput": ".sim-chart canvas", "disruption": ".sim-chart canvas",
          "policy": ".sim-chart canvas", "prices": ".sim-chart canvas"}  # each panel's picture
CHART = """([panel, action]) => new Promise((resolve, reject) => requirejs(
    [`${window.solara.cdn}/echarts@5.4.0/dist/echarts.min.js`], (echarts) => {
        const chart = echarts.getInstanceByDom(document.querySelector(`.sim-panel-${panel} .sim-chart`));
        if (!chart) { reject(new Error(`no chart in the ${panel} panel`)); return; }
        if (action) chart.dispatchAction(action);
        resolve(chart.getOption().legend[0].selected);
    }, reject))"""  # the legend choices of a panel's chart (after an action, if given), through the ECharts API
SCENARIO = "tiny_trade_war"

if not CHROMIUM.exists():
    if os.environ.get("SIM_REQUIRE_BROWSER"):
        pytest.fail(f"{CHROMIUM} is missing (install it with: apt-get install -y chromium)", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (install it with: apt-get install -y chromium)", allow_module_level=True)

from PIL import Image  # noqa: E402
from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402


@pytest.fixture
def server(tmp_path):
    """`sim viz` on a free port; yields (address, log file); stops the server afterwards."""
    yield from _serve(tmp_path, SCENARIO)


@pytest.fixture
def short_default(tmp_path):
    """`sim viz` on the default scenario cut to 80 days (its first tariffs included)."""
    scenario = tmp_path / "short_default.yaml"
    scenario.write_text("extends: us_tariffs_2025\nname: us_tariffs_2025\ntime: {steps: 80}\n")
    yield from _serve(tmp_path, str(scenario))


def _serve(tmp_path, scenario: str):
    log = tmp_path / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "sim", "viz", scenario, "--port", "0"], stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        address = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            match = re.search(r"at (http://127\.0\.0\.1:\d+/)", log.read_text())
            if match:
                address = match.group(1)
                try:
                    urllib.request.urlopen(address, timeout=5).read()
                    break
                except OSError:
                    pass
            time.sleep(0.5)
        else:
            pytest.fail(f"the server did not start:\n{log.read_text()}")
        yield address, log
    finally:
        stop_group(proc)


def _open(browser, address: str, size: tuple[int, int], problems: list[str], requests: list[str] | None = None
          ) -> Page:
    """A page of the view at `size`, once every panel has drawn; console and page errors are collected in
    `problems` and, if given, every URL the page requests (from the first) in `requests`."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    if requests is not None:
        page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.goto(address)
    page.get_by_role("button", name="Step").wait_for(timeout=60_000)
    for name, picture in PANELS.items():
        page.locator(f".sim-panel-{name} {picture}").first.wait_for(timeout=30_000)
    return page


def _picture(page: Page, name: str, tries: int = 5) -> bytes:
    """One panel's image, as the browser shows it (pixels); the page may swap the image element for a new one
    while it is being captured (a redraw), so a capture of a detached element is taken again."""
    for attempt in range(tries):
        try:
            return page.locator(f".sim-panel-{name} {PANELS[name]}").first.screenshot()
        except PlaywrightError as error:
            if "not attached" not in str(error) or attempt == tries - 1:
                raise
            page.wait_for_timeout(250)
    raise AssertionError("unreachable")


def _pictures(page: Page) -> dict[str, bytes]:
    """Each panel's image, as the browser shows it (pixels)."""
    return {name: _picture(page, name) for name in PANELS}


def _body(png: bytes) -> bytes:
    """A picture without its top and bottom bands (title, caption): the plotted content only."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    band = image.height // 12
    return image.crop((0, band, image.width, image.height - band)).tobytes()


def _changed_pictures(page: Page, old: dict[str, bytes], body: bool = False, timeout: float = 30.0,
                      names=PANELS) -> dict[str, bytes]:
    """The panels' pictures once each of `names` differs from `old` (in its plotted content if `body`)."""
    view = _body if body else (lambda png: png)
    deadline = time.monotonic() + timeout
    while True:
        new = _pictures(page)
        same = [name for name in names if view(new[name]) == view(old[name])]
        if not same:
            return new
        if time.monotonic() > deadline:
            pytest.fail(f"these panels did not change: {same}")
        page.wait_for_timeout(250)


def _wait_for_step(page: Page, pattern: str) -> None:
    """Wait until the run card matches `pattern` (e.g. 'step 1 of 200')."""
    try:
        page.wait_for_function("(p) => { const run = document.querySelector('.sim-panel-run');"
                               " return !!run && new RegExp(p).test(run.innerText); }", arg=pattern, timeout=60_000)
    except PlaywrightTimeout:
        pytest.fail(f"the page never showed '{pattern}'; it shows:\n{_run_text(page)}")


def _run_text(page: Page) -> str:
    return page.locator(".sim-panel-run").inner_text()


def test_page_steps_and_plays_in_chromium_offline(server):
    address, log = server
    origin = address.rstrip("/")
    requests: list[str] = []
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = _open(browser, address, (1500, 1300), problems, requests)
            assert "step 0 of 200" in _run_text(page)
            # Mesa's chrome that means nothing here is hidden: its page tab and its "Information: Time" card
            for text in ("Page 0", "Information"):
                expect(page.get_by_text(text, exact=True)).to_have_count(1)  # there, and
                expect(page.get_by_text(text, exact=True)).to_be_hidden()  # not shown
            expect(page.get_by_text("Model Parameters", exact=True)).to_be_visible()
            before = _pictures(page)

            page.get_by_role("button", name="Step").click()
            _wait_for_step(page, "step 1 of 200")
            # the first step changes the flows on the network; the charts stay at the baseline until day 34
            after_step = _changed_pictures(page, before, names=("network",))

            # play past day 34 (US tariff on China) and China's answer: edges recolour, plots move
            page.get_by_role("button", name="▶").click()
            _wait_for_step(page, "step ([4-9]\\d|\\d\\d\\d) of 200")
            page.get_by_role("button", name="❚❚").click()
            expect(page.get_by_role("button", name="▶")).to_be_visible(timeout=30_000)
            steps = int(re.search(r"step (\d+) of", _run_text(page)).group(1))
            assert steps >= 40
            _changed_pictures(page, after_step, body=True)
            assert "Event log: 0 policy" not in _run_text(page)

            # hover: the values of every line at that date; the legend's choice of lines survives a step
            chart = page.locator(".sim-panel-throughput .sim-chart")
            chart.scroll_into_view_if_needed()
            box = chart.bounding_box()
            page.mouse.move(box["x"] + 0.2 * box["width"], box["y"] + 0.3 * box["height"])
            expect(chart).to_contain_text(re.compile(r"2025-\d\d-\d\d[\s\S]*US\s*\d+(\.\d+)?"), timeout=10_000)
            hidden = page.evaluate(CHART, ["throughput", {"type": "legendUnSelect", "name": "US"}])
            assert hidden["US"] is False
            page.get_by_role("button", name="Step").click()
            _wait_for_step(page, f"step {steps + 1} of 200")
            page.wait_for_timeout(500)
            assert page.evaluate(CHART, ["throughput", None])["US"] is False
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "viz.png"), full_page=True)
        finally:
            browser.close()
    leaving = [url for url in requests if not url.startswith((origin, origin.replace("http", "ws"), "data:", "blob:"))]
    assert not leaving, f"requests left localhost: {leaving}"
    assert not problems, "\n".join(problems)
    server_log = log.read_text()
    assert "Could not load URL" not in server_log, "the server tried to fetch front-end files from the internet"
    assert "Traceback" not in server_log, server_log


def test_play_stops_at_the_end_safely_at_any_interval_and_the_event_log_fits_1400_px(short_default):
    """At 1400x950 on the default scenario: Play at the minimum interval, Pause, Play again, and the run stops at
    its last step with Play turned off; the event log's last column (why) is inside the page; a request with a
    foreign Host header is refused."""
    address, log = short_default
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = _open(browser, address, (1400, 950), problems)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "viz_default_1400x950.png"))

            interval = page.get_by_role("slider").first  # Play Interval (ms), the first control
            interval.focus()
            interval.press("Home")  # its minimum
            page.get_by_role("button", name="▶").click()
            _wait_for_step(page, "step ([5-9]|[1-7]\\d) of 80")  # playing, well before the end
            page.get_by_role("button", name="❚❚").click()
            page.get_by_role("button", name="▶").click()
            page.wait_for_function("() => { const run = document.querySelector('.sim-panel-run');"
                                   " return !!run && run.innerText.includes('Run over'); }", timeout=120_000)
            assert "step 80 of 80" in _run_text(page)
            # Mesa's controller keeps its play state but disables the button: nothing more can be played or stepped
            expect(page.get_by_role("button", name=re.compile("▶|❚❚"))).to_be_disabled()
            expect(page.get_by_role("button", name="Step")).to_be_disabled()
            page.wait_for_timeout(1000)
            assert "step 80 of 80" in _run_text(page), "the run went on after its last step"
            assert "Too many renders" not in page.inner_text("body")

            events = page.locator(".sim-panel-events")
            events.scroll_into_view_if_needed()  # vertically: the table itself must fit the panel's width
            panel = events.bounding_box()
            for column in ("date", "why"):  # the first and the last column, both in view
                box = page.locator(".sim-panel-events th", has_text=column).bounding_box()
                assert box and box["x"] >= panel["x"] - 1 and box["x"] + box["width"] <= panel["x"] + panel["width"] + 1
                assert box["x"] + box["width"] <= 1400, (column, box, panel)
            page.screenshot(path=str(ARTIFACTS / "viz_default_1400x950_end.png"), full_page=True)
        finally:
            browser.close()
    assert not problems, "\n".join(problems)
    foreign = urllib.request.Request(address, headers={"Host": "evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(foreign, timeout=10)
    assert refused.value.code == 403
    assert "Traceback" not in log.read_text(), log.read_text()

