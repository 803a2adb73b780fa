"""The shareable report: `report.html` is self-contained, shows every figure in a real browser, and
`inmail-sim report DIR` rebuilds it for a run or a sweep and refuses a folder that holds no results."""

from __future__ import annotations

import base64
import json
import re
import shutil
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


CHROMIUM = Path("/usr/bin/chromium")  # the system's (Debian's package; .ci/run installs it): never a download
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.mark.parametrize("kind", ["run", "sweep"])
def test_report_opens_in_headless_chromium(kind: str, run_dir: Path, sweep_dir: Path, tmp_path: Path) -> None:
    """Playwright drives the system Chromium: every image loads and shows, no console error, no request
    leaves the file."""
    if not CHROMIUM.is_file():
        pytest.skip("no Chromium at /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    folder = run_dir if kind == "run" else sweep_dir
    page_path = folder / "report.html"
    if not page_path.is_file():
        report.write_report(folder)
    expected = len(_images(page_path.read_text(encoding="utf-8")))
    assert expected >= 5
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"exception: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"load failed: {r.url}"))
            page.on("request", lambda r: None if r.url.startswith(("file:", "data:", "about:"))
                    else problems.append(f"network request: {r.url}"))  # fmt: skip
            page.goto(page_path.resolve().as_uri(), wait_until="load")
            images = page.evaluate(
                "Array.from(document.images, i => [i.complete, i.naturalWidth, i.naturalHeight, "
                "i.getBoundingClientRect().width])"
            )
            png = page.screenshot(full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert len(images) == expected
    for complete, width, height_px, shown in images:
        assert complete and width > 0 and height_px > 0 and shown > 0
    screenshot = tmp_path / f"report-{kind}.png"
    screenshot.write_bytes(png)
    assert png.startswith(PNG_MAGIC)
    from PIL import Image

    with Image.open(screenshot) as im:
        assert im.width == 1280 and im.height > 2000
        assert len(im.convert("RGB").getcolors(maxcolors=1 << 20) or range(1 << 20)) > 10  # not a blank page
