"""The fast engine's path for any day: attempt by attempt, as the reference engine makes them (days on which a
credit batch expires, teams with email senders, behaviour models without a batch form)."""

from __future__ import annotations

import heapq
import math
from typing import TYPE_CHECKING

import numpy as np

from ...rules import Cost
from ..behaviour import NO_RESPONSE, Lifecycle
from ..recruiter import Recruiter
from ..types import CHANNELS, COSTS, NO_CANDIDATES
from .ordering import KEY_CHECK, Plan, due_refunds, split_by_day

Item = tuple[float, int, int, int, int]
"""A credit due back: time, tie-break key, message, seat, account index."""

if TYPE_CHECKING:
    from .engine import FastOutreach


def scalar_day(engine: FastOutreach, day: int, plan: Plan) -> None:
    """Any day, one attempt at a time through the rules' own `Account.try_send`, with the credits due back
    applied before each attempt in (time, key) order."""
    t_arr, s_arr, key_arr, base = plan
    old = due_refunds(engine, day, pop=True)
    items: list[Item] = list(
        zip(old[0].tolist(), old[1].tolist(), old[2].tolist(), old[3].tolist(), old[4].tolist(), strict=True)
    )
    # `items` is sorted; refunds that fall due today from today's sends join a heap
    today: list[Item] = []
    later: list[Item] = []
    ptr = 0
    n_items = len(items)
    ledgers = engine.ledgers
    end = float(day + 1)
    times, senders, keys = t_arr.tolist(), s_arr.tolist(), key_arr.tolist()
    for i in range(len(times)):
        t, key = times[i], keys[i]
        while True:  # credits due before this attempt go back first, in (time, key) order
            nxt = items[ptr] if ptr < n_items else None
            from_heap = bool(today) and (nxt is None or today[0] < nxt)
            if from_heap:
                nxt = today[0]
            if nxt is None or (nxt[0], nxt[1]) >= (t, key):
                break
            if from_heap:
                heapq.heappop(today)
            else:
                ptr += 1
            ledgers[nxt[4]].refund(nxt[0], nxt[2])
        item = attempt(engine, day, t, senders[i], base + i)
        if item is not None:
            if item[0] < end:
                heapq.heappush(today, item)
            else:
                later.append(item)
    rest = sorted(items[ptr:] + today)
    for item in rest:
        ledgers[item[4]].refund(item[0], item[2])
    if later:
        cols = tuple(np.asarray(c) for c in zip(*later, strict=True))
        split_by_day(cols[0].astype(np.int64), cols, engine.refunds)
    engine.log.flush()


def attempt(engine: FastOutreach, day: int, t: float, s: int, index: int) -> Item | None:
    """One send attempt as the reference makes it; returns the credit-back it schedules, if any."""
    r = engine.senders[s]
    channel = r.group.channel
    pop = engine.population
    candidate = pop.peek(channel, day)
    if candidate is None:
        engine.blocked[NO_CANDIDATES][s, day] += 1
        return None
    u0, u1 = engine.sending.take2()
    bulk = u0 < r.group.bulk_share
    personalised = u1 < r.group.personalised_share
    msg = engine.n_msgs
    account, seat = r.account, r.seat
    if account is None or seat is None:
        cost = "none"
    else:
        decision = account.try_send(
            t,
            seat,
            msg,
            first_degree=bool(pop.degree[candidate] == 1),
            open_profile=bool(pop.open_profile[candidate]),
            bulk=bulk,
        )
        if decision.reason is not None:
            engine.blocked[decision.reason.value][s, day] += 1
            return None
        assert decision.cost is not None
        cost = decision.cost.value
        if decision.cost is not Cost.CONNECTION:
            engine.inmails_sent[s, day] += 1
    pop.take(candidate)
    engine.taken += 1
    engine.sent[s, day] += 1
    engine.n_msgs += 1
    life = engine.sampler.sample(candidate, r.message(t, engine.weekdays[day], personalised, bulk))
    return _record(engine, r, t, msg, index, candidate, cost, bulk, personalised, life)


def _record(
    engine: FastOutreach,
    r: Recruiter,
    t: float,
    msg: int,
    attempt: int,
    candidate: int,
    cost: str,
    bulk: bool,
    personalised: bool,
    life: Lifecycle,
) -> Item | None:
    """Log one sent message and count its response as the reference's events would before the horizon;
    returns the credit it gets back, if any (time, key, message, seat, account)."""
    horizon = engine.horizon
    s, account, seat = r.sender, r.account, r.seat
    te_read = t + (life.read_at - t)
    read_at = life.read_at if life.read_at < horizon and te_read < horizon else math.nan
    outcome, responded_at = NO_RESPONSE, math.nan
    counted = life.outcome != NO_RESPONSE and engine.rules.counts_as_response(life.outcome)
    if life.outcome != NO_RESPONSE and life.responded_at < horizon:
        te = t + (life.responded_at - t)
        if te < horizon:
            outcome, responded_at = life.outcome, te
            if counted and seat is not None and cost != Cost.CONNECTION.value:
                engine.responses[s, int(te)] += 1  # a response to an InMail, as the `responses` KPI counts
                engine.policy_responses.setdefault(int(te), []).append(([seat], [engine.calendar.day(t)]))
    item: Item | None = None
    if cost == Cost.CREDIT.value and account is not None and seat is not None:
        back = account.credit_back(t, life.response_delay if counted else None)
        if back is not None and back < horizon:
            te_back = t + (back - t)
            if te_back < horizon:
                item = (te_back, 4 * attempt + KEY_CHECK, msg, seat, int(engine.seat_account[seat]))
    code = engine.outcome_code.get(outcome)
    if code is None:
        code = engine.outcome_code[outcome] = len(engine.outcomes)
        engine.outcomes.append(outcome)
    p = engine.log.pending
    p["seat"].append(-1 if seat is None else seat)
    p["sender"].append(s)
    p["candidate"].append(candidate)
    p["channel"].append(CHANNELS.index(r.group.channel))
    p["cost"].append(COSTS.index(cost))
    p["bulk"].append(bulk)
    p["personalised"].append(personalised)
    p["sent_at"].append(t)
    p["read_at"].append(read_at)
    p["outcome"].append(code)
    p["responded_at"].append(responded_at)
    p["refunded_at"].append(math.nan if item is None else item[0])
    p["followed_up_at"].append(life.follow_up_at if life.follow_up_at < horizon else math.nan)
    return item
