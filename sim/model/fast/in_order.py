"""The fast engine's pass in order: one lean pass over a day's attempts when a rule may refuse some of them
(credits run out, a daily or first-week limit, a restricted seat, an Open Profile allowance, a seat's credit
limit, the candidate pool), with the credits coming back applied in between, in (time, key) order."""

from __future__ import annotations

import heapq
import math
from typing import TYPE_CHECKING

import numpy as np

from ...rules import PolicyState, Rules
from ...rules.refund import credit_back, earliest_credit_back
from ..behaviour import NO_RESPONSE, SimpleSampler
from ..types import COSTS, NO_CANDIDATES, POLICY_CODES
from .ledger import FORFEIT, REFUND, SPEND, LedgerPass
from .ordering import KEY_CHECK, Plan

if TYPE_CHECKING:
    from .engine import FastOutreach

CREDIT, OPEN, CONN = (COSTS.index(c) for c in ("credit", "open_profile", "connection"))
RESTRICTED = POLICY_CODES[PolicyState.RESTRICTED]
REASONS = ("policy_restricted", "daily_limit", "first_week_limit", "seat_credit_limit", "no_credit", NO_CANDIDATES)
R_POLICY, R_DAILY, R_FIRST_WEEK, R_SEAT_LIMIT, R_NO_CREDIT, R_NO_CANDIDATES = range(1, len(REASONS) + 1)


class Pass:
    """The outcome of `decide`."""

    def __init__(
        self,
        ok: np.ndarray,
        reason: np.ndarray,
        cost: np.ndarray,
        drawn: int,
        ledgers: list[LedgerPass],
        open_used: dict[int, int],
        one_to_one: dict[int, int],
        same_day: int,
    ) -> None:
        self.ok = ok  # which attempts were sent
        self.reason = reason  # why the others were not: index into REASONS, from 1
        self.cost = cost  # cost code of each message sent
        self.drawn = drawn  # attempts that found a candidate (and drew from the sending stream)
        self.ledgers = ledgers
        self.open_used = open_used  # seats that asked for a free Open Profile InMail: their count this month
        self.one_to_one = one_to_one  # restricted seats' one-to-one InMails today
        self.same_day = same_day  # credits scheduled and given back within the day



def decide(
    engine: FastOutreach,
    day: int,
    plan: Plan,
    seat: np.ndarray,
    account: np.ndarray,
    bulk: np.ndarray,
    personalised: np.ndarray,
    conn_window: np.ndarray,
    open_window: np.ndarray,
    old: tuple[np.ndarray, ...],
) -> Pass:
    """One pass over the day's attempts in order, asking what `Account.try_send` asks (the rules'
    order: 1st-degree connection, policy, daily limit, first week, Open Profile allowance, seat credit
    limit, credits), with the credits due back applied before each attempt in (time, key) order. A
    refused attempt takes no candidate, so the k-th sent message goes to the k-th candidate in line."""
    t, sender, key, _ = plan
    rules = engine.rules
    sampler = engine.sampler
    n = len(t)
    tl, kl, sl, al, bl = t.tolist(), key.tolist(), seat.tolist(), account.tolist(), bulk.tolist()
    conn, opn = conn_window.tolist(), open_window.tolist()
    n_cand = len(conn)
    seat_objs = engine.seat_objs
    n_seats = len(seat_objs)
    restricted = (engine.pstate[:n_seats] == RESTRICTED).tolist()
    allowance_121 = rules.policy_restricted_daily_allowance
    daily = n + 1 if rules.daily_limit is None else rules.daily_limit
    room = [n + 1] * n_seats  # first-week InMails a seat may still send (n + 1: no limit today)
    week = rules.first_week_limit
    if week is not None:
        for sid in set(sl):
            seat_obj = seat_objs[sid]
            assert seat_obj is not None
            if seat_obj.limits.in_first_week(day):
                room[sid] = week - seat_obj.limits.sent_first_week
    month = engine.calendar.month_start(day)
    op_allowance = rules.open_profile_monthly_allowance
    seat_limit = rules.seat_monthly_limit
    passes = [LedgerPass(ledger.balance) for ledger in engine.ledgers]
    balance = [ledger.balance for ledger in engine.ledgers]
    caps = [ledger.cap for ledger in engine.ledgers]

    def give_back(when: float, inmail: int, owner: int, a: int) -> None:
        """A credit coming back to account `a`'s pass: a new batch, or forfeited at the cap."""
        p = passes[a]
        p.add(when, REFUND, owner, inmail)
        p.refunded.append(inmail)
        cap = caps[a]
        if cap is not None and balance[a] >= cap:
            p.add(when, FORFEIT, owner, inmail)
            p.forfeits += 1
        else:
            balance[a] += 1
            p.new_batches.append(when)
    today = [0] * n_seats
    one_to_one = [0] * n_seats
    open_used: dict[int, int] = {}
    credits: dict[int, int] = {}
    # credits due back today: the queue from earlier days, and a heap for those scheduled today
    items = list(zip(*(c.tolist() for c in old), strict=True)) if len(old[0]) else []
    n_items = len(items)
    ptr = 0
    next_time = items[0][0] if items else math.inf
    heap: list[tuple[float, int, int, int, int]] = []
    horizon = float(engine.horizon)
    end = float(day + 1)
    same_day = earliest_credit_back(rules) < 1  # a credit may come back the day it was spent
    simple = isinstance(sampler, SimpleSampler)
    cand = engine.population.order[engine.taken : engine.taken + n_cand]
    if same_day and isinstance(sampler, SimpleSampler):
        read_delay = sampler.read_delay[cand].tolist()
        reply_delay = sampler.reply_delay[cand].tolist()
        responds = sampler.responds_inmail[cand].tolist()
        outcome = np.where(sampler.accepts[cand], 1, 2)
        counted = engine.counts_code[outcome].tolist()
    weekday = engine.weekdays[day]
    msg0 = engine.n_msgs
    base = engine.next_attempt - n
    ok = bytearray(n)
    reason = bytearray(n)
    costs = bytearray(n_cand)
    sent = 0
    drawn = n
    same = 0
    for i in range(n):
        ti = tl[i]
        if next_time <= ti or heap:  # credits due before this attempt go back first
            ki = kl[i]
            while True:
                if heap and (ptr >= n_items or heap[0] < items[ptr]):
                    nxt = heap[0]
                    if nxt[0] > ti or (nxt[0] == ti and nxt[1] >= ki):
                        break
                    heapq.heappop(heap)
                elif ptr < n_items:
                    nxt = items[ptr]
                    if nxt[0] > ti or (nxt[0] == ti and nxt[1] >= ki):
                        break
                    ptr += 1
                    next_time = items[ptr][0] if ptr < n_items else math.inf
                else:
                    break
                when, _, inmail, owner, a = nxt
                give_back(when, inmail, owner, a)
        if sent == n_cand:
            if drawn == n:
                drawn = i
            reason[i] = R_NO_CANDIDATES
            continue
        sid = sl[i]
        if conn[sent]:
            cost = CONN
        else:
            if restricted[sid] and (bl[i] or one_to_one[sid] >= allowance_121):
                reason[i] = R_POLICY
                continue
            if today[sid] >= daily:
                reason[i] = R_DAILY
                continue
            if room[sid] <= 0:
                reason[i] = R_FIRST_WEEK
                continue
            cost = CREDIT
            if opn[sent]:
                used = open_used.get(sid)
                if used is None:
                    seat_obj = seat_objs[sid]
                    assert seat_obj is not None
                    used = seat_obj.open_profile_used if seat_obj.open_profile_month == month else 0
                    open_used[sid] = used
                if op_allowance is None or used < op_allowance:
                    cost = OPEN
            if cost == CREDIT:
                if seat_limit is not None:
                    spent_here = credits.get(sid)
                    if spent_here is None:
                        seat_obj = seat_objs[sid]
                        assert seat_obj is not None
                        spent_here = credits[sid] = seat_obj.credits_this_period
                    if spent_here >= seat_limit:
                        reason[i] = R_SEAT_LIMIT
                        continue
                a = al[i]
                if balance[a] <= 0:
                    reason[i] = R_NO_CREDIT
                    continue
                if seat_limit is not None:
                    credits[sid] += 1
                balance[a] -= 1
                p = passes[a]
                if p.old_left:
                    p.old_left -= 1
                    p.spent_old += 1
                else:
                    p.spent_new += 1
                inmail = msg0 + sent
                p.add(ti, SPEND, sid, inmail)
                p.spent.append(inmail)
                if same_day:
                    if simple:
                        answers = responds[sent] and counted[sent]
                        delay = read_delay[sent] + reply_delay[sent] if answers else None
                    else:
                        r = engine.senders[int(sender[i])]
                        message = r.message(ti, weekday, bool(personalised[i]), bl[i])
                        life = sampler.sample(int(cand[sent]), message)
                        answers = life.outcome != NO_RESPONSE and rules.counts_as_response(life.outcome)
                        delay = life.response_delay if answers else None
                    item = same_day_refund(rules, ti, base + i, inmail, sid, a, delay, horizon, end)
                    if item is not None:
                        heapq.heappush(heap, item)
                        same += 1
            else:
                open_used[sid] += 1
            today[sid] += 1
            room[sid] -= 1
            if restricted[sid] and not bl[i]:
                one_to_one[sid] += 1
        ok[i] = 1
        costs[sent] = cost
        sent += 1
    for when, _, inmail, owner, a in sorted(items[ptr:] + heap):
        give_back(when, inmail, owner, a)
    for a, p in enumerate(passes):
        p.balance = balance[a]
    return Pass(
        np.frombuffer(ok, dtype=np.uint8).astype(bool),
        np.frombuffer(reason, dtype=np.int8).copy(),
        np.frombuffer(costs, dtype=np.int8)[:sent].copy(),
        drawn,
        passes,
        open_used,
        {sid: c for sid, c in enumerate(one_to_one) if c},
        same,
    )

def same_day_refund(
    rules: Rules,
    t: float,
    attempt: int,
    inmail: int,
    sid: int,
    a: int,
    response_delay: float | None,
    horizon: float,
    end: float,
) -> tuple[float, int, int, int, int] | None:
    """The credit that a message sent at `t` (its first counting response after `response_delay`, None: none)
    gets back before the day ends, if any (the refund rule, `credit_back`), at the time its event would fire."""
    back = credit_back(rules, t, response_delay)
    if back is None or back >= horizon:
        return None
    te = t + (back - t)
    return (te, 4 * attempt + KEY_CHECK, inmail, sid, a) if te < horizon and te < end else None
