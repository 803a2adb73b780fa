"""The shareable report: `report.html` is self-contained, shows every figure in a real browser, and
`inmail-sim report DIR` rebuilds it for a run or a sweep and refuses a folder that holds no results."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sim.cli import main
from sim.output.results import HEADLINE
from sim.present import report

from .conftest import ROOT

SMALL_RUN = ["--set", "horizon_days=20", "--replications", "2", "--executor", "serial", "--quiet"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
IMG_SRC = re.compile(r"<img\b[^>]*\bsrc=\"([^\"]*)\"", re.IGNORECASE)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "baseline"
    assert main(["run", str(ROOT / "scenarios/baseline.yaml"), "--out", str(out), *SMALL_RUN]) == 0
    return out


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "sweep"
    args = [
        "sweep",
        str(ROOT / "scenarios/team_size_sweep.yaml"),
        "--out",
        str(out),
        "--factor",
        "accounts.0.seats,team.0.count=1,3",
        "--set",
        "horizon_days=20",
        "--replications",
        "2",
        "--executor",
        "serial",
        "--quiet",
    ]
    assert main(args) == 0
    return out


def _images(page: str) -> list[str]:
    return IMG_SRC.findall(page)


def _assert_self_contained(page: str) -> None:
    """No file the page would fetch: no external src/href, no scripts or stylesheets, images inline."""
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE), "external reference"
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page.lower(), "the report needs no JavaScript"
    assert "<link" not in page.lower(), "styles are inline"
    assert "@import" not in page and "url(" not in page
    for src in _images(page):
        assert src.startswith("data:image/png;base64,"), src[:40]
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert data.startswith(PNG_MAGIC) and len(data) > 1000


def test_run_writes_a_self_contained_report(run_dir: Path) -> None:
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    _assert_self_contained(page)
    pngs = sorted((run_dir / "figures").glob("*.png"))
    assert len(pngs) >= 5
    assert len(_images(page)) == len(pngs) == page.count("<figcaption>")
    # the scenario in words, the KPIs with CIs (rates as %), the analytics table
    for words in ("5 seats", "9 InMails per workday", "Preset <b>seed</b>", "20 days", "2 independent replications"):
        assert words in page, words
    summary = json.loads((run_dir / "summary.json").read_text())["kpis"]
    rate = summary["response_rate"]
    assert f"{100 * rate['mean']:.1f}%" in page
    assert f"{100 * rate['ci_low']:.1f}% to {100 * rate['ci_high']:.1f}%" in page
    assert "<h2>InMail analytics</h2>" in page and "2026-W02" in page
    assert not list(run_dir.glob(".report.html*")), "no temporary file left behind"


def test_report_command_rebuilds_figures_and_report(run_dir: Path, tmp_path: Path, capsys: Any) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    shutil.rmtree(copy / "figures")
    (copy / "report.html").unlink()
    assert main(["report", str(copy)]) == 0
    assert str(copy / "report.html") in capsys.readouterr().out
    rebuilt = sorted(p.name for p in (copy / "figures").glob("*.png"))
    assert rebuilt == sorted(p.name for p in (run_dir / "figures").glob("*.png"))
    page = (copy / "report.html").read_text(encoding="utf-8")
    _assert_self_contained(page)
    assert len(_images(page)) == len(rebuilt)


def test_run_without_report(tmp_path: Path) -> None:
    out = tmp_path / "plain"
    args = ["run", str(ROOT / "scenarios/solo_premium.yaml"), "--out", str(out), *SMALL_RUN, "--no-report"]
    assert main(args) == 0
    assert (out / "summary.json").is_file() and not (out / "report.html").exists()


def test_sweep_report(sweep_dir: Path, capsys: Any) -> None:
    page = (sweep_dir / "report.html").read_text(encoding="utf-8")
    _assert_self_contained(page)
    assert len(_images(page)) == len(HEADLINE)
    assert "team size (seats)" in page  # the factor's label from the sweep file
    assert "2 of 2 points finished" in page
    (sweep_dir / "report.html").unlink()
    shutil.rmtree(sweep_dir / "figures")
    assert main(["report", str(sweep_dir), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    page = (sweep_dir / "report.html").read_text(encoding="utf-8")
    _assert_self_contained(page)
    assert len(_images(page)) == len(HEADLINE) == len(list((sweep_dir / "figures").glob("*.png")))
    assert "team size (seats)" in page


def test_sweep_report_without_labels_finds_the_factors(sweep_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "sweep"
    shutil.copytree(sweep_dir, copy)
    (copy / "sweep.json").unlink()  # an older sweep: factors from the point summaries
    out = report.write_report(copy)
    page = out.read_text(encoding="utf-8")
    assert "accounts.0.seats, team.0.count" in page
    assert len(_images(page)) == len(HEADLINE)


def test_report_refuses_a_folder_without_results(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "notes.txt").write_text("nothing to see")
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not a results folder" in err and "Traceback" not in err
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err
    with pytest.raises(report.NotAResultsFolderError):
        report.write_report(tmp_path)


def test_report_of_a_sweep_point_has_kpis_but_no_figures(sweep_dir: Path, tmp_path: Path) -> None:
    point = next(p for p in (sweep_dir / "points").iterdir() if p.is_dir())
    copy = tmp_path / "point"
    shutil.copytree(point, copy)
    page = report.write_report(copy).read_text(encoding="utf-8")
    _assert_self_contained(page)
    assert _images(page) == [] and "No figures" in page and "Headline KPIs" in page


def test_long_analytics_table_is_summarised(tmp_path: Path) -> None:
    weeks = [f"2026-W{w:02d}" for w in range(2, 30)]
    rows = [
        {"account": "contract", "seat": str(s), "week": w, "sent": 10.0, "accepted": 2.0, "declined": 1.0}
        for w in weeks
        for s in range(60)
    ]
    pool = {"account": "contract", "seat": "all", "credits_expired": 1.0, "balance_end": 5.0}
    rows += [{**pool, "week": w} for w in weeks]
    table = pd.DataFrame(rows).fillna(0)
    table["pending"] = table["sent"] - table["accepted"] - table["declined"]
    table["credits_spent"] = table["sent"]
    table["credits_refunded"] = 3.0
    path = tmp_path / "analytics.csv"
    table.to_csv(path, index=False)
    text = report.analytics_html(path, 3)
    assert f"{len(table):,} rows" in text
    assert "The team, week by week" in text and "Each seat, whole horizon" in text
    assert "First 50 of 60 rows" in text  # 60 seats: the per-seat table is cut
    assert "30.0%" in text  # (2 + 1) / 10 per seat and per week


def test_words() -> None:
    assert report.format_kpi("response_rate", 0.2417) == "24.2%"
    assert report.format_kpi("credits_per_response", 1.234) == "1.23"
    assert report.format_kpi("inmails_sent", 2778.1) == "2,778"
    assert report.format_kpi("inmails_sent", 12440.4) == "12,440"
    assert report.format_kpi("inmails_sent", 277.81) == "277.8"
    assert report.format_kpi("inmails_sent", None) == "n/a"
    assert report.describe_delay({"dist": "exponential", "mean_days": 2}) == "exponential, mean 2 days"
    assert report.describe_delay({"dist": "fixed", "days": 1}) == "always 1 day"
    assert "3 observed values" in report.describe_delay({"dist": "empirical", "values": [1, 2, 3]})
    assert report.describe_delay({"dist": "gamma", "shape": 2, "mean_days": 3}) == "gamma, shape 2, mean days 3"
    rules = {
        "preset": "linkedin-current",
        "overrides": {"daily_limit": 50},
        "resolved": {
            "refund_rule": "response",
            "refund_window_days": 90,
            "open_profile_free": True,
            "open_profile_monthly_allowance": 800,
            "first_degree_free": True,
            "daily_limit": 50,
            "first_week_limit": None,
        },
    }
    text = " ".join(report.describe_rules(rules))
    assert "<b>gets</b> a response within 90 days" in text
    assert "<code>daily_limit</code> = 50" in text and "no first-week limit" in text
    assert "Open Profile members (up to 800 per seat a month)" in text
    behaviour = report.describe_behaviour({"model": "rich", "segments": {"junior": {"base_rate": 0.2}}})
    assert "rich" in behaviour and "junior base rate: 0.2" in behaviour


# ------------------------------------------------------------------------------- a real browser (CDP)


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe (fds 3 and 4), standard library only."""

    def __init__(self, exe: str, profile: Path) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # park the child's ends above any fd the mapping touches, then map them to 3 and 4 in the child
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in (to_chrome_r, from_chrome_w)]
        for fd in (to_chrome_r, from_chrome_w):
            os.close(fd)

        def _map_fds() -> None:
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self._log_path = profile.parent / "chromium.log"
        self._log = open(self._log_path, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--window-size=1280,900",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            preexec_fn=_map_fds,  # only two dup2 calls run between fork and exec
            close_fds=False,
        )
        for fd in high:
            os.close(fd)
        self._buffer = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def _message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_chrome], [], [], max(0.0, left))
            if not ready:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise EOFError(f"Chromium exited: {self.log_tail()}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._to_chrome, data) :]
        deadline = time.monotonic() + 60
        while True:
            answer = self._message(deadline)
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def log_tail(self) -> str:
        self._log.flush()
        return self._log_path.read_text(errors="replace")[-2000:]

    def close(self) -> None:
        with contextlib.suppress(OSError, EOFError, TimeoutError, RuntimeError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_chrome, self._from_chrome):
            os.close(fd)
        self._log.close()


def _problems(events: list[dict[str, Any]]) -> list[str]:
    """Console errors, uncaught exceptions, failed loads and any request that is not to a local file."""
    out = []
    for e in events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            out.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            out.append(f"console.{params['type']}: {params.get('args')}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            out.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
        elif method == "Network.loadingFailed":
            out.append(f"load failed: {params.get('errorText')}")
        elif method == "Network.requestWillBeSent":
            url = params.get("request", {}).get("url", "")
            if not url.startswith(("file:", "data:", "about:")):
                out.append(f"network request: {url}")
    return out


@pytest.mark.parametrize("kind", ["run", "sweep"])
def test_report_opens_in_headless_chromium(kind: str, run_dir: Path, sweep_dir: Path, tmp_path: Path) -> None:
    exe = _chromium()
    if exe is None:
        pytest.skip("no Chromium on this machine (`apt-get install chromium`; .ci/run installs it)")
    folder = run_dir if kind == "run" else sweep_dir
    page = folder / "report.html"
    if not page.is_file():
        report.write_report(folder)
    expected = len(_images(page.read_text(encoding="utf-8")))
    assert expected >= 5
    browser = Browser(exe, tmp_path / "profile")
    try:
        target = (
            next((t["targetId"] for t in browser.send("Target.getTargets")["targetInfos"] if t["type"] == "page"), None)
            or browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        )
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        browser.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired")
        found = browser.send(
            "Runtime.evaluate",
            {
                "expression": "JSON.stringify(Array.from(document.images, i => [i.complete, i.naturalWidth, "
                "i.naturalHeight, i.getBoundingClientRect().width]))",
                "returnByValue": True,
            },
            session=session,
        )
        images = json.loads(found["result"]["value"])
        size = browser.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
        height = min(int(size["height"]), 16000)
        shot = browser.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1},
            },
            session=session,
        )
        time.sleep(0.2)  # let late console or network events arrive
        browser.send("Runtime.evaluate", {"expression": "1"}, session=session)
    finally:
        browser.close()
    assert _problems(browser.events) == []
    assert len(images) == expected
    for complete, width, height_px, shown in images:
        assert complete and width > 0 and height_px > 0 and shown > 0
    png = base64.b64decode(shot["data"])
    screenshot = tmp_path / f"report-{kind}.png"
    screenshot.write_bytes(png)
    assert png.startswith(PNG_MAGIC)
    from PIL import Image

    with Image.open(screenshot) as im:
        assert im.width == 1280 and im.height == height > 2000
        assert len(im.convert("RGB").getcolors(maxcolors=1 << 20) or range(1 << 20)) > 10  # not a blank page
