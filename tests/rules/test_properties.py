"""Property tests: random sequences of grants, sends, responses, refund checks and time advances, for random
plans of both presets, team sizes and overrides. After every step the invariants of DESIGN.md section 1 hold:

- granted + refunded = spent + expired + forfeited + balance (the ledger's check and a recomputation);
- no balance is negative and none exceeds the cap;
- no seat exceeds its daily or first-week limit (nor its per-seat monthly credit limit, nor the restricted
  one-to-one allowance);
- no InMail is sent without a credit unless it is free by rule, and a credit send spends exactly one credit;
- no InMail is refunded twice: attempts raise LedgerError and change nothing.

Every expectation is recomputed here from the rules' values and the calendar, not read from the engine.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim.rules import (
    Account,
    BlockReason,
    Calendar,
    Cost,
    CreditLedger,
    LedgerError,
    Movement,
    PolicyState,
    RefundRule,
    ResponseRatePolicy,
    Rules,
    resolve,
)

PRESET_PLANS = {
    name: sorted([*resolve(name).plans, *resolve(name).plan_aliases]) for name in ("seed", "linkedin-current")
}
OUTCOMES = ["accepted", "declined", "quick_reply", "none", "ignored"]


# --- strategies ------------------------------------------------------------------------------------------------


@dataclass
class Config:
    preset: str
    plan: str
    seats: int
    overrides: dict[str, Any]
    start: date
    contract: date
    activation: list[int]
    auto_grants: bool


@st.composite
def configs(draw: st.DrawFn) -> Config:
    name = draw(st.sampled_from(sorted(PRESET_PLANS)))
    plan = draw(st.sampled_from(PRESET_PLANS[name]))
    base = resolve(name)
    key = base.plan_aliases.get(plan, plan)
    per_seat = base.plans[key].per_seat
    seats = draw(st.integers(1, 20)) if per_seat else 1
    overrides: dict[str, Any] = {}
    if draw(st.booleans()):
        overrides["daily_limit"] = draw(st.one_of(st.none(), st.integers(0, 6)))
    if draw(st.booleans()):
        overrides["first_week_limit"] = draw(st.one_of(st.none(), st.integers(0, 12)))
    if draw(st.booleans()):
        overrides["first_week_mode"] = draw(st.sampled_from(["calendar_week", "rolling_7_days"]))
    if draw(st.booleans()):
        overrides["seat_monthly_limit"] = draw(st.one_of(st.none(), st.integers(0, 8)))
    if draw(st.booleans()):
        overrides[f"plans.{key}.cap_months"] = draw(st.one_of(st.none(), st.sampled_from([0.2, 0.5, 1, 1.5, 2, 3, 4])))
    if draw(st.booleans()):
        overrides[f"plans.{key}.monthly_credits"] = draw(st.integers(0, 12))
    if draw(st.booleans()):
        overrides[f"plans.{key}.batch_expiry_days"] = draw(st.one_of(st.none(), st.sampled_from([1, 3.5, 10, 30, 90])))
    if draw(st.booleans()):
        overrides["open_profile_free"] = draw(st.booleans())
        overrides["open_profile_monthly_allowance"] = draw(st.one_of(st.none(), st.integers(0, 5)))
    if draw(st.booleans()):
        overrides["first_degree_free"] = draw(st.booleans())
    if draw(st.integers(0, 3)):  # mostly: make the response-rate ladder reachable in short runs
        overrides["policy_min_sent"] = draw(st.integers(1, 10))
        overrides["policy_window_days"] = draw(st.integers(7, 60))
        overrides["policy_warning_days"] = draw(st.integers(1, 4))
        overrides["policy_recheck_days"] = draw(st.integers(0, 3))
        overrides["policy_restricted_days"] = draw(st.integers(1, 4))
        overrides["policy_restricted_daily_allowance"] = draw(st.integers(0, 3))
    start = date(2023, 1, 1) + timedelta(days=draw(st.integers(0, 3 * 365)))
    contract = start + timedelta(days=draw(st.integers(-40, 10)))
    activation = [draw(st.integers(0, 5)) for _ in range(seats)]
    return Config(name, plan, seats, overrides, start, contract, activation, draw(st.booleans()))


# weights: sends and time advances most often
KINDS = [
    *["advance"] * 4,
    *["send"] * 6,
    *["respond"] * 3,
    *["refund_check"] * 3,
    *["grant"] * 2,
    "double_refund",
    "refund_unspent",
    "expire",
]

# one step: (kind, index, first_degree, open_profile, bulk, how many sends, time advance, outcome)
ops = st.tuples(
    st.sampled_from(KINDS),
    st.integers(0, 10_000),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.integers(1, 30),
    st.one_of(st.floats(0, 1.5), st.floats(0, 10), st.floats(0, 40)),
    st.sampled_from(OUTCOMES),
)


# --- an independent bookkeeper -----------------------------------------------------------------------------------


@dataclass
class Sent:
    inmail: int
    seat: int
    at: float
    paid: bool
    responded_at: float | None = None
    outcome: str | None = None
    checked: bool = False


@dataclass
class World:
    rules: Rules
    account: Account
    cal: Calendar
    cap: int | None
    t: float = 0.0
    next_id: int = 0
    sent: list[Sent] = field(default_factory=list)
    unspent: list[int] = field(default_factory=list)  # ids never charged: free messages and refused sends
    refunded: set[int] = field(default_factory=set)
    per_day: Counter[tuple[int, int]] = field(default_factory=Counter)
    first_week: Counter[int] = field(default_factory=Counter)
    period_credits: Counter[int] = field(default_factory=Counter)
    open_profile_month: Counter[tuple[int, int, int]] = field(default_factory=Counter)
    one_to_one: Counter[tuple[int, int]] = field(default_factory=Counter)
    grant_days: list[int] = field(default_factory=list)
    days_started: int = 0


def first_week_days(rules: Rules, cal: Calendar, activation: int) -> range:
    act = cal.start + timedelta(days=activation)
    if rules.first_week_mode == "calendar_week":
        monday = act - timedelta(days=act.weekday())
        first = (monday - cal.start).days
    else:
        first = activation
    return range(first, first + 7)


def build(cfg: Config) -> World:
    rules = resolve(cfg.preset, cfg.overrides)
    cal = Calendar(cfg.start)
    acc = Account(rules, cfg.plan, cal, list(range(1, cfg.seats + 1)), cfg.activation, start=cfg.contract)
    plan = rules.plan(cfg.plan)
    monthly = plan.monthly_credits * (cfg.seats if plan.per_seat else 1)
    cap = None if plan.cap_months is None else round(plan.cap_months * monthly)
    world = World(rules, acc, cal, cap)
    world.grant_days = acc.grant_days(400) if cfg.auto_grants else []
    if world.grant_days and world.grant_days[0] == 0:
        grant(world, 0)
        world.grant_days.pop(0)
    acc.start_day(0)
    return world


def snapshot(acc: Account) -> Any:
    led = acc.ledger
    return (
        list(led.rows),
        dict(led.totals),
        led.balance,
        [(b.created, b.remaining, b.expires_at) for b in led.batches],
        set(led._refunded),
        {sid: copy.deepcopy(vars(s.policy.counts)) for sid, s in acc.seats.items()},
    )


def check_invariants(w: World) -> None:
    led = w.account.ledger
    for kind in (Movement.EXPIRE, Movement.FORFEIT):
        if led.totals[kind]:
            event(f"some {kind}")
    for seat in w.account.seats.values():
        event(f"policy {seat.policy.state}")
    led.check()
    tot = led.totals
    granted, refunded = tot[Movement.GRANT], tot[Movement.REFUND]
    spent, expired, forfeited = tot[Movement.SPEND], tot[Movement.EXPIRE], tot[Movement.FORFEIT]
    assert granted + refunded == spent + expired + forfeited + led.balance
    by_kind: Counter[Movement] = Counter()
    for row in led.rows:
        assert row.amount >= 0
        by_kind[row.kind] += row.amount
    assert all(by_kind[m] == tot[m] for m in Movement)
    assert led.balance >= 0
    assert sum(b.remaining for b in led.batches) == led.balance
    assert all(b.remaining > 0 for b in led.batches)
    if w.cap is not None:
        assert led.cap == w.cap
        assert led.balance <= w.cap
    # each InMail refunded at most once, and only one that spent a credit
    refunds = Counter(r.inmail for r in led.rows if r.kind is Movement.REFUND)
    assert all(n == 1 for n in refunds.values())
    spends = Counter(r.inmail for r in led.rows if r.kind is Movement.SPEND)
    assert all(n == 1 for n in spends.values())
    assert set(refunds) <= set(spends)
    assert set(refunds) == w.refunded
    # send limits, from the engine's counters and from ours
    rules = w.rules
    for sid, seat in w.account.seats.items():
        if rules.daily_limit is not None:
            assert seat.limits.max_sent_in_a_day <= rules.daily_limit
        if rules.first_week_limit is not None:
            assert seat.limits.sent_first_week <= rules.first_week_limit
            assert w.first_week[sid] <= rules.first_week_limit
        assert seat.limits.sent_first_week == w.first_week[sid]
        if rules.seat_monthly_limit is not None:
            assert w.period_credits[sid] <= rules.seat_monthly_limit
    if rules.daily_limit is not None:
        assert all(n <= rules.daily_limit for n in w.per_day.values())
    if rules.open_profile_monthly_allowance is not None:
        assert all(n <= rules.open_profile_monthly_allowance for n in w.open_profile_month.values())
    assert all(n <= rules.policy_restricted_daily_allowance for n in w.one_to_one.values())


# --- the steps ---------------------------------------------------------------------------------------------------


def grant(w: World, at: float) -> None:
    before = w.account.ledger.totals[Movement.GRANT]
    w.account.grant(at)
    assert w.account.ledger.totals[Movement.GRANT] - before == w.account.monthly_grant
    w.period_credits.clear()


def advance(w: World, dt: float) -> None:
    new_t = w.t + dt
    for gd in list(w.grant_days):
        if w.t < gd <= new_t:
            grant(w, gd)
            w.grant_days.remove(gd)
    old_day, w.t = w.cal.day(w.t), new_t
    for day in range(old_day + 1, w.cal.day(new_t) + 1):
        w.account.start_day(day)


def send(w: World, seat_idx: int, first_degree: bool, open_profile: bool, bulk: bool, repeat: int) -> None:
    acc, rules = w.account, w.rules
    seat_id = 1 + seat_idx % len(acc.seats)
    seat = acc.seats[seat_id]
    day = w.cal.day(w.t)
    if day < seat.activation_day:
        return
    for _ in range(repeat):
        w.next_id += 1
        inmail = w.next_id
        led = acc.ledger
        spent_before = led.totals[Movement.SPEND]
        state = seat.policy.state
        d = acc.try_send(w.t, seat_id, inmail, first_degree=first_degree, open_profile=open_profile, bulk=bulk)
        spent = led.totals[Movement.SPEND] - spent_before
        event(f"send: {d.cost or d.reason}")
        assert (d.cost is None) == (d.reason is not None) == (not d.allowed)
        if d.cost is Cost.CREDIT:
            assert spent == 1
            assert led.rows[-1].kind is Movement.SPEND
            assert (led.rows[-1].inmail, led.rows[-1].seat) == (inmail, seat_id)
        else:
            assert spent == 0
            w.unspent.append(inmail)
        if d.reason is not None:
            if d.reason is BlockReason.NO_CREDIT:
                assert led.balance == 0
            if d.reason is BlockReason.POLICY_RESTRICTED:
                assert state is PolicyState.RESTRICTED
            if d.reason is BlockReason.SEAT_CREDIT_LIMIT:
                assert w.period_credits[seat_id] == rules.seat_monthly_limit
            continue
        if d.cost is Cost.CONNECTION:
            assert first_degree and rules.first_degree_free
            continue
        # an InMail went out
        assert not (first_degree and rules.first_degree_free)
        if state is PolicyState.RESTRICTED:
            assert not bulk
            w.one_to_one[seat_id, day] += 1
        w.per_day[seat_id, day] += 1
        if day in first_week_days(rules, w.cal, seat.activation_day):
            w.first_week[seat_id] += 1
        month = w.cal.date_of(w.t)
        if d.cost is Cost.OPEN_PROFILE:
            assert open_profile and rules.open_profile_free
            w.open_profile_month[seat_id, month.year, month.month] += 1
        else:
            assert d.cost is Cost.CREDIT
            w.period_credits[seat_id] += 1
        w.sent.append(Sent(inmail, seat_id, w.t, paid=d.cost is Cost.CREDIT))


def respond(w: World, idx: int, outcome: str) -> None:
    waiting = [s for s in w.sent if s.responded_at is None]
    if not waiting:
        return
    s = waiting[idx % len(waiting)]
    s.responded_at, s.outcome = w.t, outcome
    acc, rules = w.account, w.rules
    counts = acc.counts_as_response(outcome)
    assert counts is (outcome in rules.response_kinds)
    if counts:
        acc.response(s.seat, s.at)
    if not s.paid:
        return
    back = acc.credit_back(s.at, w.t - s.at if counts else None)
    expected = rules.refund_rule is RefundRule.RESPONSE and counts and w.t - s.at <= rules.refund_window_days
    if rules.refund_rule is RefundRule.RESPONSE:
        assert (back is not None) is expected
    if expected:
        before = acc.ledger.totals[Movement.REFUND]
        acc.refund(w.t, s.inmail)
        assert acc.ledger.totals[Movement.REFUND] - before == 1
        event("credit back on response")
        w.refunded.add(s.inmail)


def refund_check(w: World, idx: int) -> None:
    rules = w.rules
    window = rules.refund_window_days
    due = [s for s in w.sent if s.paid and not s.checked and s.at + window <= w.t]
    if not due:
        return
    s = due[idx % len(due)]
    s.checked = True
    responded = s.responded_at is not None and s.outcome in rules.response_kinds and s.responded_at - s.at <= window
    acc = w.account
    delay = s.responded_at - s.at if responded and s.responded_at is not None else None
    back = acc.credit_back(s.at, delay)
    expected = rules.refund_rule is RefundRule.NO_RESPONSE and not responded
    if rules.refund_rule is RefundRule.NO_RESPONSE:
        assert (back is not None) is expected
    if s.inmail in w.refunded:  # already given back: a second refund must be refused
        before = snapshot(acc)
        with pytest.raises(LedgerError):
            acc.refund(w.t, s.inmail)
        assert snapshot(acc) == before
        return
    if expected:
        acc.refund(w.t, s.inmail)
        event("refund on no response")
        w.refunded.add(s.inmail)


def double_refund(w: World, idx: int) -> None:
    if not w.refunded:
        return
    inmail = sorted(w.refunded)[idx % len(w.refunded)]
    acc = w.account
    before = snapshot(acc)
    event("double refund refused")
    with pytest.raises(LedgerError, match="already refunded"):
        acc.refund(w.t, inmail)
    assert snapshot(acc) == before


def refund_unspent(w: World, idx: int) -> None:
    if not w.unspent:
        return
    inmail = w.unspent[idx % len(w.unspent)]
    before = snapshot(w.account)
    with pytest.raises(LedgerError, match="spent no credit"):
        w.account.ledger.refund(w.t, inmail)
    assert snapshot(w.account) == before


def step(w: World, op: tuple[Any, ...]) -> None:
    kind, idx, first_degree, open_profile, bulk, repeat, dt, outcome = op
    if kind == "advance":
        advance(w, dt)
    elif kind == "grant":
        grant(w, w.t)
    elif kind == "send":
        send(w, idx, first_degree, open_profile, bulk, repeat)
    elif kind == "respond":
        respond(w, idx, outcome)
    elif kind == "refund_check":
        refund_check(w, idx)
    elif kind == "double_refund":
        double_refund(w, idx)
    elif kind == "refund_unspent":
        refund_unspent(w, idx)
    else:
        expired_before = w.account.ledger.totals[Movement.EXPIRE]
        n = w.account.ledger.expire_due(w.t)
        assert w.account.ledger.totals[Movement.EXPIRE] - expired_before == n


PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(cfg=configs(), steps=st.lists(ops, min_size=10, max_size=150))
def test_invariants_hold_after_every_step(cfg: Config, steps: list[tuple[Any, ...]]) -> None:
    w = build(cfg)
    check_invariants(w)
    for op in steps:
        step(w, op)
        check_invariants(w)


@PROPS
@given(cfg=configs(), steps=st.lists(ops, min_size=10, max_size=150))
def test_invariants_hold_with_monthly_grants(cfg: Config, steps: list[tuple[Any, ...]]) -> None:
    """The same, with every monthly grant arriving on its day (billing day, 1st of month, contract date)."""
    cfg.auto_grants = True
    w = build(cfg)
    check_invariants(w)
    for op in steps:
        step(w, op)
        check_invariants(w)


@PROPS
@given(
    cap=st.one_of(st.none(), st.integers(0, 30)),
    expiry=st.one_of(st.none(), st.floats(0.5, 20)),
    steps=st.lists(
        st.tuples(
            st.sampled_from(["grant", "spend", "refund", "refund_again", "expire"]), st.integers(0, 10), st.floats(0, 5)
        ),
        max_size=100,
    ),
)
def test_ledger_conservation_on_its_own(
    cap: int | None, expiry: float | None, steps: list[tuple[str, int, float]]
) -> None:
    """The bare ledger: any order of grants, spends, refunds and expiries keeps the identity and the cap."""
    led = CreditLedger(cap=cap, batch_expiry_days=expiry)
    t = 0.0
    spent: list[int] = []
    refunded: set[int] = set()
    next_id = 0
    inflow = 0
    for kind, n, dt in steps:
        t += dt
        if kind == "grant":
            kept = led.grant(t, n)
            assert 0 <= kept <= n
            inflow += n
        elif kind == "spend":
            next_id += 1
            had = led.balance - sum(b.remaining for b in led.batches if b.expires_at is not None and b.expires_at <= t)
            ok = led.spend(t, seat=n, inmail=next_id)
            assert ok is (had > 0)
            if ok:
                spent.append(next_id)
        elif kind == "refund":
            todo = [i for i in spent if i not in refunded]
            if todo:
                inmail = todo[n % len(todo)]
                kept = led.refund(t, inmail)
                assert kept in (0, 1)
                refunded.add(inmail)
                inflow += 1
        elif kind == "refund_again":
            if refunded:
                inmail = sorted(refunded)[n % len(refunded)]
                rows, balance = list(led.rows), led.balance
                with pytest.raises(LedgerError):
                    led.refund(t, inmail)
                assert (led.rows, led.balance) == (rows, balance)
        else:
            led.expire_due(t)
        led.check()
        tot = led.totals
        assert tot[Movement.GRANT] + tot[Movement.REFUND] == inflow
        assert inflow == tot[Movement.SPEND] + tot[Movement.EXPIRE] + tot[Movement.FORFEIT] + led.balance
        assert tot[Movement.SPEND] == len(spent)
        assert led.balance >= 0
        if cap is not None:
            assert led.balance <= cap


@PROPS
@given(
    threshold=st.sampled_from([0.0, 0.07, 0.13, 0.14, 0.29, 0.5, 1.0]),
    min_sent=st.integers(1, 30),
    window=st.integers(1, 10),
    warning=st.integers(1, 5),
    recheck=st.integers(0, 4),
    restricted=st.integers(1, 5),
    days=st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=1, max_size=80),
)
def test_policy_ladder_against_a_reference(
    threshold: float,
    min_sent: int,
    window: int,
    warning: int,
    recheck: int,
    restricted: int,
    days: list[tuple[int, int]],
) -> None:
    """Day by day, the state machine matches a reference ladder judged in exact fractions: ok -> warning when
    low; warning lasts `warning` days; then `recheck` days of grace; then restricted for `restricted` days
    while low (renewed at each end while still low), else ok."""
    rules = resolve(
        "linkedin-current",
        {
            "policy_threshold": threshold,
            "policy_min_sent": min_sent,
            "policy_window_days": window,
            "policy_warning_days": warning,
            "policy_recheck_days": recheck,
            "policy_restricted_days": restricted,
        },
    )
    policy = ResponseRatePolicy(rules)
    sent = [n for n, _ in days]
    responded = [min(r, n) for n, r in days]

    def low(day: int) -> bool:
        lo = max(0, day - window)
        n, r = sum(sent[lo:day]), sum(responded[lo:day])
        return n >= min_sent and Fraction(r, n) < Fraction(str(threshold))

    state, until, warnings, restrictions = "ok", 0, 0, 0
    for day in range(len(days)):
        if state == "ok":
            if low(day):
                state, until, warnings = "warning", day + warning, warnings + 1
        elif day >= until:
            if state == "warning":
                state, until = "grace", day + recheck
            if state != "warning" and day >= until:
                if low(day):
                    state, until, restrictions = "restricted", day + restricted, restrictions + 1
                else:
                    state = "ok"
        assert policy.evaluate(day) == state, day
        assert policy.allows(day, bulk=True) is (state != "restricted")
        for _ in range(sent[day]):
            policy.record_send(day, bulk=False)
        for _ in range(responded[day]):
            policy.record_response(day)
    assert (policy.warnings, policy.restrictions) == (warnings, restrictions)
