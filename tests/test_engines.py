"""The fast engine against the reference engine: identical tables for the same seed (both engines consume
the same random streams in the same order and break ties the same way), KPIs across seeds, and the parts
of the fast engine that must match the rules exactly (bulk ledger, block-drawn random numbers)."""

from __future__ import annotations

import gc
import math
import random
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.config.scenario import Scenario
from sim.model import ENGINES
from sim.model.behaviour import SimpleSampler
from sim.model.fast import FastLedger, FastOutreach
from sim.model.fast.draws import Uniforms
from sim.model.fast.storage import SpendRegistry
from sim.model.reference import InvariantError, Outreach, ReplicationOutput
from sim.model.segmented import SegmentedSampler
from sim.output.results import confidence_interval, replication_kpis, replication_tables
from sim.rules import CreditLedger, Movement

from .conftest import unlimited

TABLES = ("inmails", "seat_days", "account_days", "credits")


def _both(scenario: Scenario, replication: int = 0, seed: int | None = None) -> tuple[FastOutreach, ReplicationOutput]:
    """Run both engines; assert identical tables and KPIs; return the fast model and its output."""
    ref = Outreach(scenario, replication, seed).run()
    model = FastOutreach(scenario, replication, seed)
    out = model.run()
    expected, got = replication_tables(ref, scenario), replication_tables(out, scenario)
    for name in TABLES:
        pd.testing.assert_frame_equal(expected[name], got[name], check_exact=True, obj=name)
    rules = scenario.resolved_rules()
    assert repr(replication_kpis(ref, rules)) == repr(replication_kpis(out, rules))
    for reason, blocked in ref.blocked.items():
        np.testing.assert_array_equal(blocked, out.blocked[reason], err_msg=reason)
    assert out.events < ref.events or len(ref.messages) == 0
    return model, out


def _team(seats: int, target: int, **group: Any) -> dict[str, Any]:
    return {
        "accounts": [{"name": "contract", "plan": "recruiter", "seats": seats}],
        "team": [{"count": seats, "daily_target": target, **group}],
    }


def _states(out: ReplicationOutput) -> set[int]:
    return set(np.unique(out.policy_state).tolist())


FILES = {
    "seed_baseline": ("scenarios/baseline.yaml", ["horizon_days=45"]),
    "current_rules": ("scenarios/current_rules.yaml", ["horizon_days=45"]),
    "sales_navigator_accounts": ("scenarios/sales_navigator_team.yaml", ["horizon_days=70"]),
}
SIMPLE = "behaviour={model: simple}"


@pytest.mark.parametrize("case", sorted(FILES))
def test_scenario_files_give_identical_tables(case: str) -> None:
    """The files as written (segmented behaviour, computed a whole day at a time on the fast engine)."""
    path, sets = FILES[case]
    model, out = _both(sim.load_scenario(path, sets))
    assert len(out.messages) > 100
    assert model.days_vector > 0


@pytest.mark.parametrize("case", sorted(FILES))
def test_scenario_files_with_simple_behaviour_give_identical_tables(case: str) -> None:
    """The same files with the simple model, which the fast engine sends a whole day at a time."""
    path, sets = FILES[case]
    model, out = _both(sim.load_scenario(path, [*sets, SIMPLE]))
    assert len(out.messages) > 100
    assert model.days_vector > 0


def test_policy_tripping_team_gives_identical_tables() -> None:
    scenario = sim.load_scenario("scenarios/blasting_team.yaml", ["horizon_days=50"])
    model, out = _both(scenario)
    assert 3 in _states(out)  # restricted seats: their refusals decided by the pass in order
    assert model.days_in_order > 0
    assert out.blocked["policy_restricted"].sum() > 0


@pytest.mark.parametrize("preset", ["seed", "linkedin-current"])
def test_credit_bound_team_gives_identical_tables(preset: str) -> None:
    rules = {"preset": preset, "overrides": {"plans.recruiter.monthly_credits": 40}}
    scenario = sim.load_scenario({**_team(4, 25), "seed": 5, "horizon_days": 40, "rules": rules})
    model, out = _both(scenario)
    assert out.blocked["no_credit"].sum() > 0
    assert model.days_in_order > 0


@pytest.mark.parametrize(
    "source",
    [
        ("scenarios/blasting_team.yaml", ["horizon_days=40"]),
        ("scenarios/current_rules.yaml", ["horizon_days=30", "rules.overrides={plans.recruiter.monthly_credits: 30}"]),
    ],
)
def test_attempt_by_attempt_replay_gives_identical_tables(source: tuple[str, list[str]]) -> None:
    """The path for what numpy does not cover (email senders, days a batch expires, other samplers), forced
    on every day."""
    scenario = sim.load_scenario(*source)
    ref = Outreach(scenario, 0).run()
    model = FastOutreach(scenario, 0)
    model.vector = False
    out = model.run()
    assert model.days_vector == 0
    expected, got = replication_tables(ref, scenario), replication_tables(out, scenario)
    for name in TABLES:
        pd.testing.assert_frame_equal(expected[name], got[name], check_exact=True, obj=name)


def test_capped_pool_forfeits_identically() -> None:
    """Seed rules cap the pool at 3 months' credits: refunds into a full pool are forfeited."""
    rules = {"preset": "seed", "overrides": {"plans.recruiter.monthly_credits": 300, "plans.recruiter.cap_months": 1}}
    scenario = sim.load_scenario({**_team(3, 20), "seed": 8, "horizon_days": 50, "rules": rules})
    model, out = _both(scenario)
    ledger = out.accounts["contract"].ledger
    assert ledger.totals[sim.rules.Movement.FORFEIT] > 0
    assert model.days_vector > 0


def test_first_week_and_daily_limits_give_identical_tables() -> None:
    rules = unlimited("seed", daily_limit=70, first_week_limit=200)
    scenario = sim.load_scenario(
        {
            "accounts": [{"name": "contract", "plan": "recruiter", "seats": 3, "onboarding_interval_days": 4}],
            "team": [{"count": 3, "daily_target": 80}],
            "start": "2026-01-06",  # a Tuesday: seats activated on days 0, 4 and 8
            "seed": 3,
            "horizon_days": 20,
            "rules": rules,
        }
    )
    model, out = _both(scenario)
    assert out.blocked["first_week_limit"].sum() > 0
    assert out.blocked["daily_limit"].sum() > 0
    assert model.days_vector > 0


def test_email_senders_give_identical_tables() -> None:
    scenario = sim.load_scenario(
        {
            **_team(2, 15),
            "team": [
                {"name": "inmail", "count": 2, "daily_target": 15},
                {"name": "mail", "count": 2, "daily_target": 20, "channel": "email"},
            ],
            "horizon_days": 30,
            "candidates": {"population": 1500},  # runs out: no_candidates on both channels
        }
    )
    _, out = _both(scenario)
    assert (np.asarray(out.messages.channel) == "email").sum() > 0
    assert out.blocked["no_candidates"].sum() > 0


@pytest.mark.parametrize("behaviour", ["simple", "segmented"])
def test_mixed_team_with_email_senders_is_sent_a_day_at_a_time(behaviour: str) -> None:
    """One sender in three on email, working other hours than the InMail senders (their sends interleave),
    credits that bind on some days (those days are replayed attempt by attempt): identical tables, and the
    other days computed with numpy."""
    scenario = sim.load_scenario(
        {
            "accounts": [{"name": "contract", "plan": "recruiter", "seats": 4}],
            "team": [
                {"name": "inmail", "count": 4, "daily_target": 12, "working_hours": [9, 17]},
                {"name": "mail", "count": 2, "daily_target": 15, "channel": "email", "working_hours": [8, 15]},
            ],
            "rules": {"preset": "seed", "overrides": {"plans.recruiter.monthly_credits": 200}},
            "behaviour": {"model": behaviour},
            "candidates": {"population": 9000, "known_email_share": 0.4},
            "horizon_days": 40,
            "seed": 11,
        }
    )
    model, out = _both(scenario)
    assert (np.asarray(out.messages.channel) == "email").sum() > 0
    assert model.days_vector > 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.integers(1, 12)), min_size=1, max_size=12),
    st.floats(0.05, 0.95),
    st.integers(0, 2**31),
)
def test_population_assign_takes_what_peek_and_take_would(
    runs: list[tuple[bool, int]], share: float, seed: int
) -> None:
    """`Population.assign` (runs of one channel with numpy) against `peek` then `take` one send at a time,
    from a state left by earlier sends of both channels."""
    from sim.config.scenario import CandidatesSpec
    from sim.model.candidates import Population
    from sim.model.streams import Streams

    spec = CandidatesSpec(population=120, known_email_share=share)
    one, many = Population(spec, Streams(seed, 0)), Population(spec, Streams(seed, 0))
    rng = random.Random(seed)
    for _ in range(rng.randint(0, 30)):  # earlier sends, one at a time, on both
        channel = rng.choice(["inmail", "email"])
        for pop in (one, many):
            c = pop.peek(channel, 0)
            if c is not None:
                pop.take(c)
    email = np.asarray([is_email for is_email, r in runs for _ in range(r)])
    expected: list[int] = []
    for is_email in email.tolist():
        c = one.peek("email" if is_email else "inmail", 0)
        if c is None:
            break
        one.take(c)
        expected.append(c)
    positions = many.assign(email, 0)
    if len(expected) < len(email):
        assert positions is None
        return
    assert positions is not None
    assert many.commit(positions).tolist() == expected
    np.testing.assert_array_equal(many.contacted[:], one.contacted[:])
    assert (many.peek("inmail", 0), many.peek("email", 0)) == (one.peek("inmail", 0), one.peek("email", 0))


def test_exact_ties_are_broken_as_simpy_breaks_them() -> None:
    """Fixed delays put refund checks at the very instant of a send a week later, and staggered seats and
    coinciding schedules of two groups make equal send times whose order only the event queue decides."""
    scenario = sim.load_scenario(
        {
            "accounts": [{"name": "contract", "plan": "recruiter", "seats": 6, "onboarding_interval_days": 3}],
            "team": [
                {"name": "a", "count": 3, "daily_target": 8, "working_hours": [8, 16]},
                {"name": "b", "count": 3, "daily_target": 8, "working_hours": [9, 17]},
            ],
            "rules": {"preset": "seed", "overrides": {"plans.recruiter.monthly_credits": 60}},
            "behaviour": {
                "model": "simple",
                "response_probability": 0.4,
                "read_delay": {"dist": "fixed", "days": 1},
                "reply_delay": {"dist": "fixed", "days": 6},
            },
            "horizon_days": 30,
        }
    )
    model, _ = _both(scenario)
    assert model.days_exact_order > 0


def test_expiring_batches_give_identical_tables() -> None:
    scenario = sim.load_scenario(
        {
            "rules": {"preset": "linkedin-current"},
            "accounts": [{"name": "me", "plan": "premium_business", "seats": 2}],
            "team": [{"count": 2, "daily_target": 1, "workdays": ["tue"]}],
            "horizon_days": 220,
        }
    )
    _, out = _both(scenario)
    assert sum(a.ledger.totals[sim.rules.Movement.EXPIRE] for a in out.accounts.values()) > 0


def _random_scenario(i: int) -> Scenario:
    """A small scenario mixing every rule that can bind, for a sweep of corner cases."""
    rng = random.Random(i)
    preset = rng.choice(["seed", "linkedin-current"])
    overrides: dict[str, Any] = {}
    for key, values, p in [
        ("plans.recruiter.monthly_credits", [5, 50, 150, 10_000], 0.5),
        ("plans.recruiter.cap_months", [None, 1, 2], 0.3),
        ("daily_limit", [5, 20, 40], 0.3),
        ("first_week_limit", [30, 100], 0.3),
        ("first_week_mode", ["rolling_7_days"], 0.3),
        ("policy_min_sent", [20, 50, 100], 0.4),
        ("policy_threshold", [0.13, 0.3], 0.3),
        ("seat_monthly_limit", [20, 100], 0.2),
        ("first_degree_free", [False], 0.2),
        ("open_profile_monthly_allowance", [0, 5, 50], 0.2),
        ("refund_window_days", [1, 3, 7, 30], 0.2),
        ("policy_recheck_days", [0], 0.2),
    ]:
        if rng.random() < p:
            overrides[key] = rng.choice(values)
    plans = ["recruiter", "recruiter", "premium" if preset == "seed" else "premium_career", "sales_navigator"]
    accounts: list[dict[str, Any]] = []
    team: list[dict[str, Any]] = []
    for a in range(rng.choice([1, 1, 2])):
        seats = rng.randint(1, 5)
        spec: dict[str, Any] = {"name": f"acc{a}", "plan": rng.choice(plans), "seats": seats}
        spec["start_day"] = rng.choice([0, 0, -3, 2])
        if rng.random() < 0.3:
            spec["onboarding_interval_days"] = rng.choice([1, 3, 7])
        accounts.append(spec)
        left = seats
        while left:
            count = rng.randint(1, left)
            left -= count
            group: dict[str, Any] = {
                "name": f"g{len(team)}",
                "count": count,
                "account": f"acc{a}",
                "daily_target": rng.choice([0, 1, 3, 10, 24, 50]),
                "personalised_share": rng.random(),
                "bulk_share": rng.random(),
            }
            if rng.random() < 0.3:
                group["working_hours"] = rng.choice([[0, 24], [9, 17], [8, 12]])
            if rng.random() < 0.3:
                group["workdays"] = rng.sample(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], rng.randint(1, 7))
            for option, value, p in [
                ("translated", True, 0.3),
                ("looks_like_scam", True, 0.2),
                ("follow_up_after_days", rng.choice([3, 5, 10]), 0.4),
                ("message_length", rng.choice([200, 800, 2000]), 0.4),
            ]:
                if rng.random() < p:
                    group[option] = value
            team.append(group)
    if rng.random() < 0.3:
        team.append({"name": "mail", "count": rng.randint(1, 2), "daily_target": 10, "channel": "email"})

    def delay() -> dict[str, Any]:
        kind = rng.choice(["exponential", "fixed", "lognormal"])
        if kind == "exponential":
            return {"dist": kind, "mean_days": rng.choice([0.3, 1, 2, 5])}
        if kind == "fixed":
            return {"dist": kind, "days": rng.choice([0.25, 1, 2, 6, 7])}
        return {"dist": kind, "median_days": rng.choice([0.5, 1, 3]), "sigma": 1}

    return sim.load_scenario(
        {
            "name": f"random{i}",
            "seed": i,
            "horizon_days": rng.choice([10, 30, 45]),
            "start": rng.choice(["2026-01-05", "2026-01-07", "2026-02-27", "2026-03-29"]),
            "rules": {"preset": preset, "overrides": overrides},
            "accounts": accounts,
            "team": team,
            "candidates": {"population": rng.choice([300, 3000, 20_000]), "open_profile_share": 0.3},
            "behaviour": (
                {
                    "model": "simple",
                    "response_probability": rng.choice([0.02, 0.1, 0.3, 0.8]),
                    "read_delay": delay(),
                    "reply_delay": delay(),
                }
                if i % 2
                else {"model": "segmented", "reply_delay": delay(), "cap": rng.choice([0.3, 0.95])}
            ),
        }
    )


@pytest.mark.parametrize("i", range(16))
def test_random_scenarios_give_identical_tables(i: int) -> None:
    _both(_random_scenario(i))


def test_response_rates_agree_across_seeds() -> None:
    """Paired by seed (common random numbers), the per-seed difference in response rate has mean zero within
    its 95% t-interval. With identical tables per seed every difference is exactly zero, so the interval is
    the point 0; the runs themselves vary from seed to seed."""
    scenario = sim.load_scenario({**_team(3, 20), "horizon_days": 25, "replications": 1})
    rates: dict[str, list[float]] = {"reference": [], "fast": []}
    for seed in range(12):
        for name, engine in (("reference", Outreach), ("fast", FastOutreach)):
            out = engine(scenario, 0, seed).run()
            rates[name].append(replication_kpis(out, scenario.resolved_rules())["response_rate"])
    diffs = np.subtract(rates["fast"], rates["reference"])
    ci = confidence_interval(diffs.tolist())
    assert ci["ci_low"] is not None and ci["ci_high"] is not None
    assert ci["ci_low"] <= 0 <= ci["ci_high"]
    assert np.all(diffs == 0)
    assert np.std(rates["reference"]) > 0


def test_fast_engine_is_registered_and_runs_through_the_api() -> None:
    assert ENGINES["fast"] is FastOutreach
    data = {**_team(2, 10), "horizon_days": 15, "replications": 2}
    fast = sim.run(sim.load_scenario({**data, "engine": "fast"}))
    reference = sim.run(sim.load_scenario({**data, "engine": "reference"}))
    for name in TABLES:
        pd.testing.assert_frame_equal(reference.tables[name], fast.tables[name], obj=name)
    pd.testing.assert_frame_equal(reference.runs, fast.runs)


def test_event_queue_does_not_grow_with_inmails_in_flight() -> None:
    scenario = sim.load_scenario({**_team(20, 50), "rules": unlimited("seed"), "horizon_days": 30})
    model = FastOutreach(scenario, 0)
    longest = 0
    original = model.env.schedule

    def schedule(*args: Any, **kwargs: Any) -> None:
        nonlocal longest
        original(*args, **kwargs)
        longest = max(longest, len(model.env._queue))

    model.env.schedule = schedule  # type: ignore[method-assign]
    out = model.run()
    assert len(out.messages) > 10_000
    assert longest <= 3
    assert out.events <= scenario.horizon_days + 3


def test_garbage_collector_is_restored() -> None:
    scenario = sim.load_scenario({**_team(1, 5), "horizon_days": 5})
    assert gc.isenabled()
    FastOutreach(scenario, 0).run()
    assert gc.isenabled()
    gc.disable()
    try:
        FastOutreach(scenario, 0).run()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_broken_ledger_fails_loudly_with_seed_to_reproduce() -> None:
    scenario = sim.load_scenario({**_team(1, 5), "horizon_days": 5})
    model = FastOutreach(scenario, 0)
    model.run()
    model.accounts["contract"].ledger.balance += 1
    with pytest.raises(InvariantError, match="seed 12345, replication 0"):
        model.check_invariants()


def test_block_draws_give_the_same_numbers_as_draws_of_two() -> None:
    one = np.random.default_rng(7)
    blocks = Uniforms(np.random.default_rng(7), block=5)
    for n in (1, 3, 0, 7, 2, 11):
        if n == 1:
            pair = blocks.take2()
            assert pair == tuple(one.random(2).tolist())
            continue
        got = blocks.peek(2 * n).copy()
        blocks.consume(2 * n)
        np.testing.assert_array_equal(got, np.concatenate([one.random(2) for _ in range(n)] or [np.empty(0)]))


@settings(max_examples=80, deadline=None)
@given(
    start=st.integers(0, 12),
    cap=st.one_of(st.none(), st.integers(1, 15)),
    earlier=st.integers(0, 10),
    ops=st.lists(st.booleans(), max_size=40),
)
def test_bulk_spends_and_refunds_match_the_rules_ledger(
    start: int, cap: int | None, earlier: int, ops: list[bool]
) -> None:
    """Credits spent earlier come back (refunds) interleaved with new spends, under an optional cap."""
    registry = SpendRegistry()
    reference = CreditLedger(cap=cap)
    fast = FastLedger(cap, None, registry)
    reference.grant(0.0, start + earlier)
    fast.grant(0.0, start + earlier)
    waiting = []
    for i in range(earlier):
        spent = reference.spend(0.5, 1, i)
        assert fast.spend(0.5, 1, i) == spent
        if spent:
            waiting.append(i)
    budget = fast.balance
    spends = 0
    times: list[float] = []
    refunds: list[bool] = []
    inmails: list[int] = []
    for k, is_refund in enumerate(ops):
        t = 1.0 + k / 100
        if is_refund and waiting:
            inmail = waiting.pop(0)
            reference.refund(t, inmail)
        elif not is_refund and spends < budget:
            inmail = 1000 + k
            assert reference.spend(t, 1, inmail)
            spends += 1
        else:
            continue
        times.append(t)
        refunds.append(is_refund)
        inmails.append(inmail)
    fast.bulk(np.asarray(times), np.asarray(refunds, dtype=bool), np.ones(len(times), np.int64), np.asarray(inmails))
    assert [tuple(r) for r in fast.rows] == [tuple(r) for r in reference.rows]
    assert fast.balance == reference.balance
    assert fast.totals == reference.totals
    assert sum(b.remaining for b in fast.batches) == fast.balance
    assert len(fast.rows) == len(reference.rows)
    if len(reference.rows):
        assert tuple(fast.rows[-1]) == tuple(reference.rows[-1])
    assert all(not math.isnan(r.time) for r in fast.rows)


def test_segmented_sample_day_matches_the_samplers_own_sample() -> None:
    """`SegmentedSampler.sample_day` (a day of InMails at once) against `SegmentedSampler.sample`, one at a time:
    reminders (linkedin-current), untranslated and scam-like messages, follow-ups, message lengths."""
    scenario = sim.load_scenario(
        {
            "rules": {"preset": "linkedin-current"},
            "accounts": [{"name": "contract", "plan": "recruiter", "seats": 4}],
            "team": [
                {"name": "a", "count": 2, "message_length": 300, "follow_up_after_days": 3},
                {"name": "b", "count": 2, "message_length": 1800, "translated": True, "looks_like_scam": True},
            ],
            "candidates": {"population": 4000},
            "behaviour": {"model": "segmented"},
        }
    )
    model = FastOutreach(scenario, 0)
    sampler = model.sampler
    assert isinstance(sampler, SegmentedSampler)
    rng = np.random.default_rng(1)
    day = 9
    n = 3000
    cand = rng.choice(scenario.candidates.population, n, replace=False)
    t = day + rng.random(n)
    personalised = rng.random(n) < 0.5
    sender = rng.integers(0, 4, n)
    read_at, when, delay, outcome, follow_up = sampler.sample_day(
        [g.group for g in model.groups], model.group_of[sender], cand, t, personalised, model.weekdays[day]
    )
    codes = {"accepted": 1, "declined": 2, "quick_reply": 3}
    for i in range(n):
        message = model.senders[sender[i]].message(float(t[i]), model.weekdays[day], bool(personalised[i]), True)
        life = sampler.sample(int(cand[i]), message)
        assert (life.read_at, life.responded_at, life.follow_up_at) == (read_at[i], when[i], follow_up[i])
        assert life.response_delay == delay[i]
        if life.outcome != "none":
            assert codes[life.outcome] == outcome[i]
    assert np.isfinite(follow_up).any() and np.isfinite(when).any()


def test_simple_sample_day_matches_the_samplers_own_sample() -> None:
    """`SimpleSampler.sample_day` against `SimpleSampler.sample`, one InMail at a time: to the last bit."""
    scenario = sim.load_scenario(_team(2, 5) | {"horizon_days": 20, "candidates": {"population": 4000}})
    model = FastOutreach(scenario, 0, 5)
    sampler = model.sampler
    assert isinstance(sampler, SimpleSampler)
    rng = np.random.default_rng(4)
    n = 3000
    cand = rng.choice(scenario.candidates.population, n, replace=False)
    t = 9 + rng.random(n)
    day = sampler.sample_day(cand, t)
    codes = {"accepted": 1, "declined": 2, "quick_reply": 3}
    for i in range(n):
        life = sampler.sample(int(cand[i]), model.senders[0].message(float(t[i]), 0, False, True))
        assert (life.read_at, life.responded_at, life.response_delay) == (
            day.read_at[i],
            day.responded_at[i],
            day.response_delay[i],
        )
        if life.outcome != "none":
            assert codes[life.outcome] == day.outcome[i]
    assert np.isfinite(day.responded_at).any()


@pytest.mark.parametrize("engine", ["reference", "fast"])
def test_seed_inmail_answered_exactly_7_days_later_keeps_its_credit(engine: str) -> None:
    """Read after 6 days, answered 1 day later: a response exactly at the window's end is within it, so no
    credit comes back (the engines once compared (sent + 6) + 1 with sent + 7 and refunded some)."""
    data = _team(3, 40) | {
        "engine": engine,
        "horizon_days": 30,
        "candidates": {"population": 5000, "connections": {"first": 0, "second": 1, "third": 0}},
        "behaviour": {
            "model": "simple",
            "response_probability": 1.0,
            "read_delay": {"dist": "fixed", "days": 6},
            "reply_delay": {"dist": "fixed", "days": 1},
        },
    }
    out = ENGINES[engine](sim.load_scenario(data), 0, 3).run()
    checked = np.asarray(out.messages.sent_at) + 7 < 30  # their window ends inside the run
    assert checked.sum() > 100
    refunds = sum(a.ledger.totals[Movement.REFUND] for a in out.accounts.values())
    assert refunds == 0


def _day_end_gaps(out: ReplicationOutput) -> dict[str, list[int]]:
    """Per account, the days on which granted + refunded != spent + expired + forfeited + the day-end balance."""
    assert out.credit_days is not None
    kinds = [m.value for m in sim.rules.Movement]
    gaps: dict[str, list[int]] = {}
    for label, moved in out.credit_days.items():
        flow = moved.cumsum(axis=1)
        k = {name: flow[kinds.index(name)] for name in kinds}
        held = k["grant"] + k["refund"] - k["spend"] - k["expire"] - k["forfeit"]
        gaps[label] = np.flatnonzero(held != out.balance[label]).tolist()
    return gaps


@pytest.mark.parametrize("engine", ["reference", "fast"])
@pytest.mark.parametrize("horizon", [95, 90])
def test_day_end_balance_conserves_credits_on_expiry_days_and_the_horizon(engine: str, horizon: int) -> None:
    """A batch that expires at a midnight is still held at the previous day's end and its expiry is booked on
    the next day, so every day closes with granted + refunded = spent + expired + forfeited + balance (the
    first grant, 2026-01-01, expires at the start of day 90: the 90-day run ends before it)."""
    data = {
        "rules": {"preset": "linkedin-current"},
        "engine": engine,
        "start": "2026-01-01",
        "horizon_days": horizon,
        "accounts": [{"name": "me", "plan": "sales_navigator", "seats": 1}],
        "team": [{"count": 1, "daily_target": 0}],
        "candidates": {"population": 100},
    }
    out = ENGINES[engine](sim.load_scenario(data), 0, 1, tables="summary").run()
    assert _day_end_gaps(out) == {"me": []}
    expired = out.credit_days["me"][[m.value for m in sim.rules.Movement].index("expire")]  # type: ignore[index]
    assert bool(expired.sum() > 0) is (horizon > 90)
    assert out.balance["me"][89] == 150  # three grants of 50, the first still held at day 89's end


@pytest.mark.parametrize("engine", ["reference", "fast"])
@pytest.mark.parametrize("preset", ["seed", "linkedin-current"])
def test_day_end_balance_conserves_credits_while_sending(engine: str, preset: str) -> None:
    """Every day of every account reconciles while credits are spent, refunded, capped and expired."""
    data = _team(3, 12) | {
        "rules": {"preset": preset},
        "engine": engine,
        "horizon_days": 200,
        "accounts": [{"name": "lite", "plan": "recruiter_lite" if preset != "seed" else "premium", "seats": 3}],
        "candidates": {"population": 20000},
    }
    out = ENGINES[engine](sim.load_scenario(data), 0, 2, tables="summary").run()
    assert all(not days for days in _day_end_gaps(out).values())


def test_matured_reading_of_the_13_percent_rule_gives_identical_tables() -> None:
    data = _team(3, 40) | {"horizon_days": 60, "behaviour": {"model": "simple", "response_probability": 0.08}}
    data["rules"] = {"preset": "seed", "overrides": {"policy_reading": "matured", "policy_maturity_days": 5}}
    _, out = _both(sim.load_scenario(data), seed=4)
    assert _states(out) >= {0, 1}


def test_refreshing_pool_gives_identical_tables_and_contacts_arrivals_only_once_they_arrive() -> None:
    """A pool of 600 with 40 new candidates a day: the team runs dry of the first 600, then works through each
    day's arrivals the day they come (never a candidate before its day)."""
    data = _team(4, 30) | {"horizon_days": 30, "candidates": {"population": 600, "arrivals_per_day": 40}}
    _, out = _both(sim.load_scenario(data), seed=8)
    cand = np.asarray(out.messages.candidate)
    day = np.floor(np.asarray(out.messages.sent_at)).astype(int)
    arrived_on = np.where(cand < 600, 0, (cand - 600) // 40 + 1)
    assert (arrived_on <= day).all()
    assert (cand >= 600).sum() > 0
    assert out.blocked["no_candidates"].sum() > 0  # arrivals are fewer than the team's attempts


def test_candidates_are_numbered_in_contact_order() -> None:
    """Without fit scores the contact order is the candidates' numbering: each channel takes the lowest
    uncontacted number (email the lowest with a known address), and arrivals extend the numbering."""
    from sim.config.scenario import CandidatesSpec
    from sim.model.candidates import Population
    from sim.model.streams import Streams

    spec = CandidatesSpec(population=10, arrivals_per_day=3, known_email_share=0.5)
    pop = Population(spec, Streams(3, 0), horizon=4)
    assert pop.size == 19 and pop.order is None
    assert pop.candidates(slice(2, 6)).tolist() == [2, 3, 4, 5]
    taken = []
    while (c := pop.peek("inmail", 0)) is not None:
        pop.take(c)
        taken.append(c)
    assert taken == list(range(10))  # day 0: the initial pool only
    assert pop.peek("inmail", 1) == 10  # the day's three arrivals are 10, 11 and 12
    known = [c for c in range(10, 16) if pop.known_email[c]]
    assert pop.peek("email", 2) == (known[0] if known else None)
