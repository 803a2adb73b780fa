"""The fast engine's pass in order: one lean pass over a day's attempts when a rule may refuse some of them
(credits run out, a daily or first-week limit, a restricted seat, an Open Profile allowance, a seat's credit
limit, the candidate pool), with the credits coming back applied in between, in (time, key) order.

The rules say how much room each seat has before a limit binds (`sim.rules.send_rooms`, the batch form of
`Account.try_send`'s checks, asked in the same order) and what the cap lets back (`cap_room`); the pass only
counts that room down in processing order. A refused attempt takes no candidate, so the k-th sent message
goes to the k-th candidate in line."""

from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ...rules import BlockReason
from ...rules.account import SendRooms
from ...rules.ledger import cap_room
from ...rules.refund import credit_back, earliest_credit_back
from ..behaviour import NO_RESPONSE, SimpleSampler
from ..types import BLOCK_REASONS, COSTS, NO_CANDIDATES
from .ledger import LedgerPass
from .ordering import KEY_CHECK, Plan

if TYPE_CHECKING:
    from .engine import FastOutreach

CREDIT, OPEN, CONN = (COSTS.index(c) for c in ("credit", "open_profile", "connection"))
REASONS = BLOCK_REASONS
"""Why an attempt was refused: code k (from 1) is REASONS[k - 1]."""
R_POLICY, R_DAILY, R_FIRST_WEEK, R_SEAT_LIMIT, R_NO_CREDIT, R_NO_CANDIDATES = (
    1 + REASONS.index(r)
    for r in (
        BlockReason.POLICY_RESTRICTED,
        BlockReason.DAILY_LIMIT,
        BlockReason.FIRST_WEEK_LIMIT,
        BlockReason.SEAT_CREDIT_LIMIT,
        BlockReason.NO_CREDIT,
        NO_CANDIDATES,
    )
)
Item = tuple[float, int, int, int, int]
"""A credit due back: time, tie-break key, message, seat, account index."""


@dataclass
class Pass:
    """The outcome of `decide`."""

    ok: np.ndarray  # which attempts were sent
    reason: np.ndarray  # why the others were not: a code into REASONS, from 1
    cost: np.ndarray  # cost code of each message sent
    drawn: int  # attempts that found a candidate (and drew from the sending stream)
    ledgers: list[LedgerPass]
    same_day: int  # credits scheduled and given back within the day


class _Credits:
    """The day's credits of every account as the pass moves them: spends, and credits coming back in
    (time, key) order before each attempt (the queue from earlier days and a heap of today's). The pass
    spends inline (`balance[a] -= 1` and `spent[a](k)`, k the message's index among the day's sends) and
    gives back through `give_back`: its hot operations append to local lists, once per movement."""

    def __init__(self, engine: FastOutreach, old: tuple[np.ndarray, ...]) -> None:
        passes = self.passes = [LedgerPass(ledger.balance) for ledger in engine.ledgers]
        balance = self.balance = [ledger.balance for ledger in engine.ledgers]
        caps = [ledger.cap for ledger in engine.ledgers]
        self.items: list[Item] = list(zip(*(c.tolist() for c in old), strict=True)) if len(old[0]) else []
        self.ptr = 0
        self.next_time = self.items[0][0] if self.items else math.inf
        self.heap: list[Item] = []
        self.spent = [p.order.append for p in passes]
        moved = [(p.order.append, p.backs.append, p.kept.append) for p in passes]

        def give_back(item: Item) -> None:
            """A credit coming back to its account: a new batch, or forfeited where the cap keeps none."""
            a = item[4]
            order, backs, kept = moved[a]
            order(-1)
            backs(item)
            if cap_room(caps[a], balance[a], 1):
                balance[a] += 1
                kept(True)
            else:
                kept(False)

        def give_back_run(run: list[Item]) -> None:
            """A run of credits coming back to the one account with no spend in between: the cap keeps the
            first `cap_room` of them and forfeits the rest, as `give_back` one at a time would."""
            m = len(run)
            k = cap_room(caps[0], balance[0], m)
            balance[0] += k
            p = passes[0]
            p.order.extend([-1] * m)
            p.backs.extend(run)
            p.kept.extend([True] * k + [False] * (m - k))

        self.give_back = give_back
        self.give_back_run = give_back_run if len(passes) == 1 else None

    def due_before(self, t: float, key: int) -> float:
        """Give back every credit due before an attempt at (t, key); the time the queue's next credit is due.
        With one account and no credit of today's due first, the queue's credits due by then go back as one
        run (`give_back_run`)."""
        items, heap, ptr, give_back = self.items, self.heap, self.ptr, self.give_back
        n_items = len(items)
        if self.give_back_run is not None and ptr < n_items and (not heap or heap[0][0] > t):
            end = bisect.bisect_left(items, (t, key), ptr)
            if end > ptr:
                self.give_back_run(items[ptr:end])
                ptr = end
        while True:
            if heap and (ptr >= n_items or heap[0] < items[ptr]):
                nxt = heap[0]
                if nxt[0] > t or (nxt[0] == t and nxt[1] >= key):
                    break
                heapq.heappop(heap)
            elif ptr < n_items:
                nxt = items[ptr]
                if nxt[0] > t or (nxt[0] == t and nxt[1] >= key):
                    break
                ptr += 1
            else:
                break
            give_back(nxt)
        self.ptr = ptr
        self.next_time = items[ptr][0] if ptr < n_items else math.inf
        return self.next_time

    def finish(self) -> list[LedgerPass]:
        """Give back what is still due today; the passes with their end balances."""
        for item in sorted(self.items[self.ptr :] + self.heap):
            self.give_back(item)
        for a, p in enumerate(self.passes):
            p.balance = self.balance[a]
        return self.passes


def decide(
    engine: FastOutreach, day: int, rooms: SendRooms, plan: Plan, seat: np.ndarray, account: np.ndarray,
    bulk: np.ndarray, personalised: np.ndarray, conn_window: np.ndarray, open_window: np.ndarray,
    old: tuple[np.ndarray, ...],
) -> Pass:  # fmt: skip
    """One pass over the day's attempts in order, refusing what `Account.try_send` would refuse, in its order
    (1st-degree connection, policy, daily limit, first week, Open Profile allowance, seat credit limit,
    credits), with the credits due back applied before each attempt in (time, key) order. `rooms` is what
    the rules say each seat may still send today (`send_rooms`)."""
    t, _, key, _ = plan
    n, n_cand = len(t), len(conn_window)
    tl, kl, sl, al, bl = t.tolist(), key.tolist(), seat.tolist(), account.tolist(), bulk.tolist()
    conn, opn = conn_window.tolist(), open_window.tolist()
    restricted, one_to_one = rooms.restricted.tolist(), rooms.one_to_one.tolist()
    daily, send, free, credit_room = (r.tolist() for r in (rooms.daily, rooms.send, rooms.open_profile, rooms.credits))
    credits = _Credits(engine, old)
    balance, heap, next_time, spent_by = credits.balance, credits.heap, credits.next_time, credits.spent
    refunds = _SameDay(engine, day, plan, personalised, bulk)
    ok, reason, costs = bytearray(n), bytearray(n), bytearray(n_cand)
    sent, drawn, start, end = 0, n, 0, n
    while start < n:
        for i in range(start, n):
            ti = tl[i]
            if next_time <= ti or heap:
                next_time = credits.due_before(ti, kl[i])
            if sent == n_cand:
                drawn = min(drawn, i)
                reason[i:] = bytes([R_NO_CANDIDATES]) * (n - i)
                break
            sid = sl[i]
            cost = CONN
            if not conn[sent]:
                if restricted[sid] and (bl[i] or one_to_one[sid] <= 0):
                    reason[i] = R_POLICY
                    continue
                if daily[sid] <= 0:
                    reason[i] = R_DAILY
                    continue
                if send[sid] <= 0:
                    reason[i] = R_FIRST_WEEK
                    continue
                cost = OPEN if opn[sent] and free[sid] > 0 else CREDIT
                if cost == CREDIT:
                    if credit_room[sid] <= 0:
                        reason[i] = R_SEAT_LIMIT
                        continue
                    a = al[i]
                    if balance[a] <= 0:
                        reason[i] = R_NO_CREDIT
                        if not opn[sent] and max(balance) <= 0:
                            end = _penniless(tl, i + 1, min(next_time, heap[0][0] if heap else math.inf))
                            if end:
                                break
                        continue
                    credit_room[sid] -= 1
                    balance[a] -= 1
                    spent_by[a](sent)
                    if refunds.possible:
                        refunds.after_spend(credits, i, ti, sent, sid, a)
                else:
                    free[sid] -= 1
                daily[sid] -= 1
                send[sid] -= 1
                if restricted[sid] and not bl[i]:
                    one_to_one[sid] -= 1
            ok[i] = 1
            costs[sent] = cost
            sent += 1
        else:
            break
        if sent == n_cand:
            break
        seats = seat[i + 1 : end]
        reason[i + 1 : end] = refusals(rooms, seats, bulk[i + 1 : end], daily, send, credit_room, one_to_one)
        start = end
    return Pass(np.frombuffer(ok, dtype=np.uint8).astype(bool), np.frombuffer(reason, dtype=np.int8).copy(),
                np.frombuffer(costs, dtype=np.int8)[:sent].copy(), drawn, credits.finish(), refunds.count)  # fmt: skip


PENNILESS_STRETCH = 256
"""The fewest attempts worth refusing at once (`_penniless`) rather than one by one."""


def _penniless(t: list[float], start: int, due: float) -> int:
    """Where a stretch of attempts that no credit can reach ends: from `start` (every pool empty, the next
    candidate in line costs a credit whoever sends) to the first attempt at or after `due`, the next time a
    credit comes back. 0 when the stretch is too short to be worth refusing at once."""
    end = bisect.bisect_left(t, due, start)
    return end if end - start >= PENNILESS_STRETCH else 0


def refusals(
    rooms: SendRooms,
    seats: np.ndarray,
    bulk: np.ndarray,
    daily: list[int],
    send: list[int],
    credit_room: list[int],
    one_to_one: list[int],
) -> bytes:
    """Why each of a stretch of attempts is refused while every pool is empty and the candidate in line costs
    a credit: what the pass asks one attempt at a time, in the same order, for all of them at once (nothing
    is sent, so no room moves)."""
    code = np.full(len(seats), R_NO_CREDIT, dtype=np.int8)
    for room, why in ((credit_room, R_SEAT_LIMIT), (send, R_FIRST_WEEK), (daily, R_DAILY)):
        code[np.asarray(room)[seats] <= 0] = why
    policy = rooms.restricted[seats] & (bulk | (np.asarray(one_to_one)[seats] <= 0))
    code[policy] = R_POLICY
    return code.tobytes()


class _SameDay:
    """Credits that today's spends get back before the day ends (only where the refund rule allows that),
    from each message's lifecycle as the day's lifecycles computed with numpy will say."""

    def __init__(self, engine: FastOutreach, day: int, plan: Plan, personalised: np.ndarray, bulk: np.ndarray) -> None:
        self.engine = engine
        self.rules = engine.rules
        self.sender, self.base = plan[1], plan[3]
        self.personalised, self.bulk = personalised, bulk
        self.possible = earliest_credit_back(self.rules) < 1  # a credit may come back the day it was spent
        self.horizon = float(engine.horizon)
        self.end = float(day + 1)
        self.weekday = engine.weekdays[day]
        self.count = 0
        sampler = engine.sampler
        self.simple = isinstance(sampler, SimpleSampler)
        self.cand = engine.population.candidates(slice(engine.taken, engine.taken + len(plan[0])))
        if self.possible and isinstance(sampler, SimpleSampler):
            self.read_delay = sampler.read_delay[self.cand].tolist()
            self.reply_delay = sampler.reply_delay[self.cand].tolist()
            self.responds = sampler.responds(self.cand).tolist()
            codes = sampler.outcomes(self.cand)
            self.counted = engine.counts_code[codes].tolist()

    def after_spend(self, credits: _Credits, i: int, ti: float, sent: int, sid: int, a: int) -> None:
        """Attempt `i` at `ti`, the `sent`-th message sent today, spent a credit of account `a`."""
        if self.simple:
            answers = self.responds[sent] and self.counted[sent]
            delay = self.read_delay[sent] + self.reply_delay[sent] if answers else None
        else:
            r = self.engine.senders[int(self.sender[i])]
            message = r.message(ti, self.weekday, bool(self.personalised[i]), bool(self.bulk[i]))
            life = self.engine.sampler.sample(int(self.cand[sent]), message)
            answers = life.outcome != NO_RESPONSE and self.rules.counts_as_response(life.outcome)
            delay = life.response_delay if answers else None
        back = credit_back(self.rules, ti, delay)
        if back is None or back >= self.horizon:
            return
        te = ti + (back - ti)
        if te < self.horizon and te < self.end:
            heapq.heappush(credits.heap, (te, 4 * (self.base + i) + KEY_CHECK, self.engine.n_msgs + sent, sid, a))
            self.count += 1
