"""Reading report exports: the analytics.csv layout, LinkedIn's layout with period columns, and every kind of
bad row refused with exit status 2, naming its line and column."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.decide.calibrate_export import ExportError, read_export

HEADER = (
    "account,seat,week,sent,accepted,declined,pending,response_rate,credits_spent,credits_refunded,credits_expired,"
    "balance_end\n"
)
GOOD = (
    HEADER
    + "contract,0,2026-W02,40,6,4,30,0.25,40,0,0,\n"
    + "contract,all,2026-W02,0,0,0,0,,0,0,0,270\n"
    + "contract,0,2026-W03,42,5,3,34,0.19,42,8,0,\n"
)


def _write(tmp_path: Path, text: str, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_analytics_layout_is_read(tmp_path: Path) -> None:
    export = read_export(_write(tmp_path, GOOD))
    assert export.layout == "analytics"
    assert list(export.rows["seat"]) == ["0", "0"]  # the pool row is skipped
    assert export.first_day == date(2026, 1, 5)
    assert export.last_day == date(2026, 1, 19)
    assert export.rows["pending"].tolist() == [30, 34]
    assert "response_rate" in export.ignored and export.unknown == []


def test_an_analytics_csv_with_quick_replies_counts_them_as_responses(tmp_path: Path) -> None:
    """analytics.csv since the report window: quick_replies and responses columns; pending is sent less
    accepted, declined and quick replies."""
    text = (
        "account,seat,week,sent,accepted,declined,quick_replies,pending,responses,response_rate\n"
        "contract,0,2026-W02,40,6,4,2,28,12,0.3\n"
    )
    export = read_export(_write(tmp_path, text))
    assert export.rows["quick_replies"].tolist() == [2] and export.rows["pending"].tolist() == [28]
    assert "responses" in export.ignored and export.unknown == []
    bad = text.replace(",28,12,", ",30,12,")
    with pytest.raises(ExportError, match="pending"):
        read_export(_write(tmp_path, bad, "bad.csv"))


def test_linkedin_layout_maps_its_columns_and_reports_unknown_ones(tmp_path: Path) -> None:
    text = (
        "Seat Holder,Period Start,Period End,InMails Sent,InMails Accepted,InMails Declined,InMails Pending,"
        "Response Rate (%),Team\n"
        "Ann,2026-01-05,2026-01-11,40,6,4,30,25%,north\n"
        "Ann,01/12/2026,01/18/2026,30,3,3,24,20%,north\n"
    )
    export = read_export(_write(tmp_path, text))
    assert export.layout == "linkedin"
    assert export.columns["sent"] == "InMails Sent"
    assert export.unknown == ["Team"]
    assert export.rows["end"].tolist() == [date(2026, 1, 12), date(2026, 1, 19)]  # end inclusive in the file
    assert not export.daily


BAD = {
    "missing column": (
        HEADER.replace("declined,", "") + "contract,0,2026-W02,40,6,30,0.25,40,0,0,\n",
        "line 1",
        "declined",
    ),
    "negative count": (HEADER + "contract,0,2026-W02,40,-6,4,30,0.25,40,0,0,\n", "line 2", "'accepted'"),
    "not a number": (HEADER + "contract,0,2026-W02,forty,6,4,30,0.25,40,0,0,\n", "line 2", "'sent'"),
    "more responses than sends": (HEADER + "contract,0,2026-W02,40,30,20,0,0.25,40,0,0,\n", "line 2", "'accepted'"),
    "pending does not add up": (HEADER + "contract,0,2026-W02,40,6,4,20,0.25,40,0,0,\n", "line 2", "'pending'"),
    "bad week": (HEADER + "contract,0,2026-W60,40,6,4,30,0.25,40,0,0,\n", "line 2", "'week'"),
    "overlapping periods": (GOOD + "contract,0,2026-W02,10,1,1,8,0.2,10,0,0,\n", "line 5", "'week'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_export_exits_2_naming_line_and_column(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, line, column = BAD[case]
    status = main(
        [
            "calibrate",
            str(_write(tmp_path, text)),
            "--scenario",
            "scenarios/baseline.yaml",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert line in err and column in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing written


def test_overlapping_linkedin_periods_name_the_later_row(tmp_path: Path) -> None:
    text = (
        "seat,period start,period end,sent,accepted,declined\n"
        "Ann,2026-01-05,2026-01-11,40,6,4\nBob,2026-01-05,2026-01-11,40,6,4\nAnn,2026-01-10,2026-01-16,40,6,4\n"
    )
    with pytest.raises(ExportError, match=r"line 4, column 'period start': period overlaps the period of line 2"):
        read_export(_write(tmp_path, text))


def test_bad_export_through_the_command_line(tmp_path: Path) -> None:
    text, _, _ = BAD["more responses than sends"]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim.cli",
            "calibrate",
            str(_write(tmp_path, text)),
            "--scenario",
            "scenarios/baseline.yaml",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "line 2, column 'accepted'" in done.stderr and "more responses than sends" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_export_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["calibrate", str(tmp_path / "nope.csv"), "--scenario", "scenarios/baseline.yaml"])
    assert status == 2
    assert "no such file" in capsys.readouterr().err


def test_export_date_before_a_period_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["calibrate", str(_write(tmp_path, GOOD)), "--scenario", "scenarios/baseline.yaml", "--as-of", "2026-01-10"]
    assert main([*args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "--as-of 2026-01-10" in err and "line 4" in err
    assert (
        main(["calibrate", str(tmp_path / "export.csv"), "--scenario", "scenarios/baseline.yaml", "--as-of", "soon"])
        == 2
    )
    assert "--as-of: 'soon' is not a date" in capsys.readouterr().err
