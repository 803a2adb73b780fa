"""The segmented behaviour model: each multiplier reproduced by paired runs, login-driven reading against
its closed form, the team-size effect of a finite pool, the email channel, reminders and follow-ups."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim
from sim.config.segments import SegmentedBehaviour

from .conftest import ROOT, binomial_bound, unlimited

Z = 3.29  # two-sided 99.9%


def _behaviour(base: float = 0.3, open_to_work: float = 0.0, english: float = 1.0, **extra: Any) -> dict[str, Any]:
    """Everyone reads within hours and answers within a day, fit has no effect: only the lever matters."""
    segment = {
        "name": "all",
        "share": 1.0,
        "seniority": "mid",
        "base_response": base,
        "open_to_work_share": open_to_work,
        "reads_english_share": english,
        "activity": {"daily": 1.0, "weekly": 0.0, "monthly": 0.0, "dormant": 0.0},
        "email_notification_share": 0.0,
    }
    return {
        "model": "segmented",
        "segments": [segment],
        "login_interval": {"daily": {"dist": "fixed", "days": 0.1}},
        "reply_delay": {"dist": "fixed", "days": 0.5},
        "fit": {"effect": 0.0},
        **extra,
    }


def _scenario(group: dict[str, Any], behaviour: dict[str, Any], horizon: int = 40, seats: int = 20) -> dict[str, Any]:
    return {
        "name": "lever",
        "seed": 4242,
        "horizon_days": horizon,
        "replications": 1,
        "rules": unlimited(),
        "accounts": [{"plan": "recruiter", "seats": seats}],
        "team": [{"count": seats, "daily_target": 50, "personalised_share": 0.0, "message_length": 600, **group}],
        "candidates": {
            "population": 200_000,
            "connections": {"first": 0.0, "second": 0.5, "third": 0.5},
            "open_profile_share": 0.0,
            "known_email_share": 1.0,
        },
        "behaviour": behaviour,
    }


def _counts(res: sim.Results, horizon: int) -> tuple[int, int]:
    """(responses, messages) over messages sent early enough for every response to land in the horizon."""
    m = res.inmails[res.inmails["sent_at"] < horizon - 2]
    return int(m["responded_at"].notna().sum()), len(m)


def _ratio_ci(a: tuple[int, int], b: tuple[int, int]) -> tuple[float, float, float]:
    """Ratio of rates b / a with a 99.9% interval on the log scale from the counts (independent binomials:
    conservative here, since paired runs share their random numbers)."""
    (xa, na), (xb, nb) = a, b
    ratio = (xb / nb) / (xa / na)
    se = math.sqrt((1 - xa / na) / xa + (1 - xb / nb) / xb)
    return ratio, ratio * math.exp(-Z * se), ratio * math.exp(Z * se)


def _check_lever(a: dict[str, Any], b: dict[str, Any], expected: float, horizon: int = 40) -> None:
    ra, rb = sim.run(a), sim.run(b)
    ratio, low, high = _ratio_ci(_counts(ra, horizon), _counts(rb, horizon))
    assert low <= expected <= high, (ratio, low, high, expected)
    assert high / low < 1.5  # the interval is narrow enough to tell the multiplier from 1 or its neighbours


M = SegmentedBehaviour().multipliers


def test_personalised_multiplier_is_1_40() -> None:
    b = _behaviour()
    _check_lever(_scenario({}, b), _scenario({"personalised_share": 1.0}, b), M.personalised)


def test_open_to_work_multiplier_is_2() -> None:
    _check_lever(_scenario({}, _behaviour(open_to_work=0.0)), _scenario({}, _behaviour(open_to_work=1.0)), 2.0)


@pytest.mark.parametrize(
    ("length", "expected"),
    [(300, M.length_under_400), (1000, M.length_801_1200), (1500, M.length_over_1200)],
)
def test_message_length_bands(length: int, expected: float) -> None:
    b = _behaviour()
    _check_lever(_scenario({}, b), _scenario({"message_length": length}, b), expected / M.length_401_800)


@pytest.mark.parametrize(("day", "expected"), [("fri", M.friday), ("sat", M.saturday), ("sun", M.sunday)])
def test_weekday_multipliers(day: str, expected: float) -> None:
    b = _behaviour()
    horizon = 120
    monday = _scenario({"workdays": ["mon"]}, b, horizon)
    other = _scenario({"workdays": [day]}, b, horizon)
    _check_lever(monday, other, expected, horizon)


def test_untranslated_message_to_a_reader_without_english() -> None:
    b = _behaviour(english=0.0)
    _check_lever(_scenario({"translated": True}, b), _scenario({"translated": False}, b), M.untranslated)


def test_scam_like_sender() -> None:
    b = _behaviour()
    _check_lever(_scenario({}, b), _scenario({"looks_like_scam": True}, b), M.scam_like)


def test_email_response_rate_is_inmails_over_1_3() -> None:
    b = _behaviour()
    _check_lever(_scenario({}, b), _scenario({"channel": "email"}, b), 1 / 1.3)


def test_response_probability_is_capped_below_one() -> None:
    res = sim.run(_scenario({"personalised_share": 1.0, "message_length": 300}, _behaviour(base=0.9, open_to_work=1.0)))
    x, n = _counts(res, 40)
    cap = SegmentedBehaviour().cap
    assert abs(x / n - cap) < binomial_bound(cap, n)


def test_share_read_within_1_7_30_days_matches_the_activity_mixture() -> None:
    """Notifications off: the read delay is the time to the next login, a mixture over activity classes."""
    spec = SegmentedBehaviour()
    segment = spec.segments[0].model_dump() | {"share": 1.0, "email_notification_share": 0.0}
    behaviour = {"model": "segmented", "segments": [segment]}
    horizon = 75
    res = sim.run(_scenario({}, behaviour, horizon))
    sent = res.inmails[res.inmails["sent_at"] < horizon - 31]
    delay = (sent["read_at"] - sent["sent_at"]).fillna(math.inf)
    mix = spec.segments[0].activity.shares()
    dists = spec.login_interval.by_class()
    for days in (1, 7, 30):
        expected = sum(w * d.cdf(days) for w, d in zip(mix, dists, strict=True))
        share = float((delay <= days).mean())
        assert abs(share - expected) < binomial_bound(expected, len(sent)), (days, share, expected)


def test_reminder_under_current_rules_brings_reads_forward() -> None:
    behaviour = {"model": "segmented", "reminder_noticed": 1.0}
    seed = sim.run(_scenario({}, behaviour | {}, 40) | {"rules": unlimited("seed")})
    current = sim.run(_scenario({}, behaviour, 40) | {"rules": unlimited("linkedin-current")})

    def read_within(res: sim.Results, days: float) -> float:
        m = res.inmails[res.inmails["sent_at"] < 30]
        return float(((m["read_at"] - m["sent_at"]) <= days).mean())

    assert read_within(current, 2.9) == pytest.approx(read_within(seed, 2.9))  # no difference before the reminder
    assert read_within(current, 4) > read_within(seed, 4) + 0.05


def test_follow_up_costs_no_credit_and_raises_responses() -> None:
    b = _behaviour(base=0.2) | {"reply_delay": {"dist": "fixed", "days": 0.5}}
    without = sim.run(_scenario({}, b))
    with_follow_up = sim.run(_scenario({"follow_up_after_days": 3}, b))
    assert with_follow_up.runs.loc[0, "credits_spent"] == without.runs.loc[0, "credits_spent"]
    assert with_follow_up.runs.loc[0, "follow_ups_sent"] > 0
    assert without.runs.loc[0, "follow_ups_sent"] == 0
    assert with_follow_up.runs.loc[0, "responses"] > without.runs.loc[0, "responses"]
    followed = with_follow_up.inmails[with_follow_up.inmails["followed_up_at"].notna()]
    assert (followed["followed_up_at"] - followed["sent_at"]).round(9).eq(3).all()


def test_larger_team_on_one_pool_gets_a_lower_response_rate() -> None:
    """Recruiters contact the best-fit candidates first: a bigger team works down into weaker ones."""
    rates = []
    for seats in (1, 5, 20, 50):
        scenario = sim.load_scenario(
            ROOT / "scenarios/baseline.yaml",
            [f"accounts.0.seats={seats}", f"team.0.count={seats}", "replications=3"],
        )
        rates.append(sim.run(scenario, tables=False).runs["response_rate"].mean())
    assert all(a > b for a, b in itertools.pairwise(rates)), rates


def test_baseline_response_rate_is_in_linkedins_quoted_band() -> None:
    res = sim.run(sim.load_scenario(ROOT / "scenarios/baseline.yaml", ["replications=3"]), tables=False)
    assert 0.10 <= res.runs["response_rate"].mean() <= 0.25


def test_segmented_model_is_deterministic() -> None:
    scenario = sim.load_scenario(ROOT / "scenarios/baseline.yaml", ["horizon_days=20", "replications=1"])
    a, b = sim.run(scenario), sim.run(scenario)
    pd.testing.assert_frame_equal(a.inmails, b.inmails)


def test_parameter_table_in_docs_is_up_to_date() -> None:
    from sim.config.segments import parameter_table

    text = (ROOT / "docs" / "behaviour_parameters.md").read_text(encoding="utf-8")
    assert parameter_table() in text
    for source in ("LinkedIn", "assumption", "public figure"):
        assert source in text


@pytest.mark.parametrize("preset", ["seed", "linkedin-current"])
def test_quick_replies_count_as_each_preset_says(preset: str) -> None:
    """Every candidate answers with a quick reply: under linkedin-current that is a response (the credit comes
    back and the response rate sees it); under seed it is not (the credit comes back at the 7-day check)."""
    from sim.model import ENGINES
    from sim.rules import Movement

    data = {
        "rules": {"preset": preset},
        "horizon_days": 40,
        "accounts": [{"name": "c", "plan": "recruiter", "seats": 2}],
        "team": [{"count": 2, "daily_target": 5}],
        "candidates": {"population": 3000, "connections": {"first": 0, "second": 1, "third": 0}},
        "behaviour": {"model": "simple", "response_probability": 1.0, "quick_reply_share": 1.0,
                      "read_delay": {"dist": "fixed", "days": 1}, "reply_delay": {"dist": "fixed", "days": 1}},
    }  # fmt: skip
    for engine in ("reference", "fast"):
        out = ENGINES[engine](sim.load_scenario(data), 0, 1).run()
        outcomes = {str(o) for o in out.messages.outcome}
        assert outcomes <= {"quick_reply", "none"} and "quick_reply" in outcomes
        paid = np.asarray([str(c) == "credit" for c in out.messages.cost])
        sent_at = np.asarray(out.messages.sent_at, dtype=float)[paid]
        refunds = sum(a.ledger.totals[Movement.REFUND] for a in out.accounts.values())
        counted = out.trailing_rate[~np.isnan(out.trailing_rate)]
        if preset == "seed":
            assert refunds == int((sent_at + 7 < 40).sum())
            assert (counted == 0).all()
        else:
            assert refunds == int((sent_at + 2 < 40).sum())
            assert counted.max() == 1.0


def test_follow_up_draws_are_the_streams_second_draws_made_only_when_asked() -> None:
    """The segmented model draws a candidate's follow-up answer and delay only in a run that follows up, and
    they are what the response and reply-delay streams' second draws were when every run drew them."""
    from sim.model.candidates import Population
    from sim.model.segmented import SegmentedSampler
    from sim.model.streams import Streams

    scenario = sim.load_scenario(ROOT / "scenarios/baseline.yaml", ["horizon_days=5"])
    spec = scenario.behaviour
    assert isinstance(spec, SegmentedBehaviour)
    streams = Streams(scenario.seed, 1)
    population = Population(scenario.candidates, streams, scenario.horizon_days)
    sampler = SegmentedSampler(spec, scenario.resolved_rules(), population, streams)
    assert "u_follow_up" not in vars(sampler) and "follow_up_delay" not in vars(sampler)
    n = population.size
    fresh = Streams(scenario.seed, 1)
    response, reply = fresh["response"], fresh["reply_delay"]
    np.testing.assert_array_equal(sampler.u_response, response.random(n))
    np.testing.assert_array_equal(sampler.reply_delay, spec.reply_delay.sample(reply, n))
    np.testing.assert_array_equal(sampler.u_follow_up, response.random(n))
    np.testing.assert_array_equal(sampler.follow_up_delay, spec.reply_delay.sample(reply, n))
