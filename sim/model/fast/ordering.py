"""Ordering in the fast engine: the day's send attempts in the reference engine's processing order, and
the keys that break ties as SimPy does (equal times in the order events were scheduled).

Every attempt gets a global index A (its place in processing order); what it schedules gets the key
4A+1 (response), 4A+2 (credit back) and 4A+3 (the recruiter's next attempt), and items are applied in
(time, key) order. Credits due back later wait in buckets by day (`split_by_day`, `due_refunds`).
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any

import numpy as np

from ..recruiter import Recruiter

if TYPE_CHECKING:
    from .engine import FastOutreach

KEY_CHECK, KEY_NEXT = 2, 3  # and 4A+1: the response, which moves no credit the engine queues
NO_ITEMS = (np.empty(0), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64))
Plan = tuple[np.ndarray, np.ndarray, np.ndarray, int]
"""A day's attempts in processing order: times, senders, tie-break keys, and the index of the first."""


class Group:
    """The recruiters of one team group, who share a daily schedule."""

    def __init__(self, senders: list[Recruiter]) -> None:
        group = senders[0].group
        self.group = group
        self.members = np.asarray([r.sender for r in senders], dtype=np.int64)
        self.activation = np.asarray([r.activation_day for r in senders], dtype=np.int64)
        self.target = group.daily_target
        self.start, self.end = group.working_hours
        self.step = (self.end - self.start) / 24 / self.target if self.target else 0.0
        self.weekdays = {w.number for w in group.workdays}


def split_by_day(day: np.ndarray, columns: tuple[Any, ...], into: dict[int, list[tuple[Any, ...]]]) -> None:
    """Add each row of `columns` to the bucket of its `day`."""
    if not len(day):
        return
    if day[0] == day[-1] and (day == day[0]).all():
        into.setdefault(int(day[0]), []).append(columns)
        return
    order = np.argsort(day, kind="stable")
    sorted_days = day[order]
    cuts = np.flatnonzero(sorted_days[1:] != sorted_days[:-1]) + 1
    starts = [0, *cuts.tolist()]
    ends = [*cuts.tolist(), len(order)]
    for a, b in zip(starts, ends, strict=True):
        pick = order[a:b]
        into.setdefault(int(sorted_days[a]), []).append(tuple(c[pick] for c in columns))


def plan_day(engine: FastOutreach, day: int) -> Plan:
    """The day's send attempts in the reference's processing order: times, senders, keys, first index."""
    weekday = engine.weekdays[day]
    times: list[np.ndarray] = []
    who: list[np.ndarray] = []
    ks: list[np.ndarray] = []
    for g in engine.groups:
        if not g.target or weekday not in g.weekdays:
            continue
        members = g.members[g.activation <= day]
        m = len(members)
        if not m:
            continue
        first = day + g.start / 24 + g.step / 2
        target = first + np.arange(g.target) * g.step
        prev = engine.last_t[members]
        block = np.empty((m, g.target))
        block[:, 0] = prev + (target[0] - prev)
        if day >= 1:
            # within a day, now and the next target are within a factor 2: now + (target - now) == target
            block[:, 1:] = target[1:]
        else:
            for j in range(1, g.target):
                now = block[:, j - 1]
                block[:, j] = now + (target[j] - now)
        times.append(block.ravel())
        who.append(np.repeat(members, g.target))
        ks.append(np.tile(np.arange(g.target, dtype=np.int64), m))
    base = engine.next_attempt
    if not times:
        empty = np.empty(0, dtype=np.int64)
        return np.empty(0), empty, empty, base
    t = np.concatenate(times)
    s = np.concatenate(who)
    k = np.concatenate(ks)
    n = len(t)
    key0 = engine.last_key[s]
    order = np.lexsort((key0, t))
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    flat = np.arange(n)
    pred = np.where(k > 0, 4 * (base + pos[np.maximum(flat - 1, 0)]) + KEY_NEXT, key0)
    ts, keys = t[order], pred[order]
    ties = ts[1:] == ts[:-1]
    if ties.any() and (keys[1:][ties] <= keys[:-1][ties]).any():
        order, keys = exact_order(t, s, k, key0, base)
        engine.days_exact_order += 1
        pos[order] = np.arange(n)
    last = np.flatnonzero(np.append(k[1:] == 0, True))
    engine.last_t[s[last]] = t[last]
    engine.last_key[s[last]] = 4 * (base + pos[last]) + KEY_NEXT
    engine.next_attempt = base + n
    return t[order], s[order], keys, base


def exact_order(
    t: np.ndarray, s: np.ndarray, k: np.ndarray, key0: np.ndarray, base: int
) -> tuple[np.ndarray, np.ndarray]:
    """The processing order by simulating the reference's event queue over the day's attempts."""
    tl, kl = t.tolist(), k.tolist()
    heap = [(tl[i], int(key0[i]), i) for i in np.flatnonzero(k == 0).tolist()]
    heapq.heapify(heap)
    order: list[int] = []
    keys: list[int] = []
    n = len(tl)
    while heap:
        _, key, i = heapq.heappop(heap)
        a = base + len(order)
        order.append(i)
        keys.append(key)
        if i + 1 < n and kl[i + 1] == kl[i] + 1 and s[i + 1] == s[i]:
            heapq.heappush(heap, (tl[i + 1], 4 * a + KEY_NEXT, i + 1))
    return np.asarray(order, dtype=np.int64), np.asarray(keys, dtype=np.int64)


def due_refunds(engine: FastOutreach, day: int, pop: bool) -> tuple[np.ndarray, ...]:
    """The credits due back on `day` from earlier days, in (time, key) order: time, key, message, seat, account."""
    parts = engine.refunds.pop(day, None) if pop else engine.refunds.get(day)
    if not parts:
        return NO_ITEMS
    cols = tuple(np.concatenate(c) for c in zip(*parts, strict=True))
    order = np.lexsort((cols[1], cols[0]))
    return tuple(c[order] for c in cols)
