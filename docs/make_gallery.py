"""Copy a few figures from results folders into docs/ as small PNGs for the README gallery (`make docs`).

Usage: python docs/make_gallery.py RESULTS_DIR DOCS_DIR

RESULTS_DIR holds the folders `make docs` writes: baseline/ and blasting/ (runs), seed_vs_current/ (a sweep),
compare/ (a comparison). Each figure is resized to WIDTH pixels and reduced to a palette so that it stays
well under 100 KB. When Chromium is installed, a screenshot of the top of baseline/report.html is added.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

WIDTH = 760
MAX_BYTES = 100_000

# docs file name -> figure in the results folder
GALLERY = {
    "credit_balance.png": "baseline/figures/credit_balance.png",
    "credit_fate.png": "baseline/figures/credit_fate.png",
    "refunds_per_week.png": "baseline/figures/refunds_per_week.png",
    "time_to_response.png": "baseline/figures/time_to_response.png",
    "response_rate_blasting.png": "blasting/figures/response_rate.png",
    "sends_and_blocks_blasting.png": "blasting/figures/sends_and_blocks.png",
    "blocked_by_reason_blasting.png": "blasting/figures/blocked_by_reason.png",
    "sweep_refund_rate.png": "seed_vs_current/figures/refund_rate.png",
    "sweep_credits_per_response.png": "seed_vs_current/figures/credits_per_response.png",
    "compare_seed_vs_current.png": "compare/compare.png",
}


def shrink(source: Path, target: Path, width: int = WIDTH) -> int:
    """Resize to `width` pixels wide, reduce to a palette, and write; returns the file size in bytes."""
    with Image.open(source) as im:
        rgb = im.convert("RGB")
        height = round(rgb.height * width / rgb.width)
        small = rgb.resize((width, height), Image.Resampling.LANCZOS)
    for colours in (128, 64, 32):
        small.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
        if target.stat().st_size < MAX_BYTES:
            break
    return target.stat().st_size


def report_screenshot(report: Path, target: Path) -> bool:
    """The top of a report.html as seen in headless Chromium; False when no Chromium is installed."""
    exe = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    if exe is None or not report.is_file():
        return False
    with tempfile.TemporaryDirectory() as tmp:
        shot = Path(tmp) / "report.png"
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp}/profile",
            f"--screenshot={shot}",
            "--window-size=1280,1500",
            report.resolve().as_uri(),
        ]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
        shrink(shot, target, 700)
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    results, docs = Path(argv[0]), Path(argv[1])
    docs.mkdir(parents=True, exist_ok=True)
    missing = [src for src in GALLERY.values() if not (results / src).is_file()]
    if missing:
        print(f"make_gallery: missing in {results}: {', '.join(missing)}", file=sys.stderr)
        return 1
    for name, src in GALLERY.items():
        size = shrink(results / src, docs / name)
        print(f"  docs/{name}  {size / 1000:.0f} KB")
    if report_screenshot(results / "baseline" / "report.html", docs / "report.png"):
        print(f"  docs/report.png  {(docs / 'report.png').stat().st_size / 1000:.0f} KB")
    else:
        print("  (no Chromium: docs/report.png left as it was)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
