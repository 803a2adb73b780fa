"""The fast engine's whole-day path: a day's attempts with numpy at once. When no rule can refuse a send
that day every attempt is sent; otherwise one pass over the attempts in order (`in_order.decide`) says which
are sent and why not. Lifecycles, counters and credit movements are then computed for all sends at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ...rules.account import SendRooms, free_messages, record_day, send_rooms
from ...rules.refund import credit_back_batch
from ..behaviour import DayLifecycles, SimpleSampler
from ..segmented import SegmentedSampler
from ..types import COSTS, InvariantError
from .in_order import REASONS, Pass, decide
from .ordering import KEY_CHECK, Plan, due_refunds, split_by_day

if TYPE_CHECKING:
    from .engine import FastOutreach

CREDIT, OPEN, CONN, NONE = (COSTS.index(c) for c in ("credit", "open_profile", "connection", "none"))


@dataclass
class Sends:
    """The attempts of a day that were sent, in processing order."""

    t: np.ndarray
    sender: np.ndarray
    key: np.ndarray
    seat: np.ndarray
    account: np.ndarray
    attempt: np.ndarray  # global attempt index (for tie-break keys)
    bulk: np.ndarray
    personalised: np.ndarray
    conn: np.ndarray  # to a 1st-degree connection (no credit, not an InMail)
    opened: np.ndarray  # free by the Open Profile rule
    cand: np.ndarray
    drawn: int  # attempts that drew from the sending stream
    email: np.ndarray | None = None  # which are emails (no seat, no credit); None: none are

    @property
    def credit(self) -> np.ndarray:
        """Which sends cost a credit."""
        paid: np.ndarray = ~self.conn & ~self.opened
        return paid if self.email is None else paid & ~self.email

    @property
    def inmail(self) -> np.ndarray:
        """Which sends are InMails (not to a 1st-degree connection, not an email)."""
        inmail: np.ndarray = ~self.conn
        return inmail if self.email is None else inmail & ~self.email


def vector_day(engine: FastOutreach, day: int, plan: Plan) -> bool:
    """The day with numpy when it can be done exactly: False, having changed nothing, when not (a batch
    expires today)."""
    end = float(day + 1)
    if not all(ledger.quiet_until(end) for ledger in engine.ledgers):
        return False
    if engine.mixed:
        return _mixed_day(engine, day, plan)
    t_all, s_all, key_all, base = plan
    n_all = len(t_all)
    pop = engine.population
    seat_all = engine.seat_of[s_all]
    acct_all = engine.seat_account[seat_all]
    window = pop.candidates(slice(engine.taken, engine.taken + max(0, min(n_all, pop.available(day) - engine.taken))))
    conn_window, open_window = free_messages(engine.rules, pop.degree[window] == 1, pop.open_profile[window])
    u = engine.sending.peek(2 * n_all)
    bulk_all = u[0::2] < engine.bulk_share[s_all]
    personalised_all = u[1::2] < engine.pers_share[s_all]
    old = due_refunds(engine, day, pop=False)
    loop = None
    rooms = send_rooms(engine.seat_objs, day)
    if not nothing_refuses(engine, rooms, seat_all, acct_all, conn_window, open_window):
        loop = decide(engine, day, rooms, plan, seat_all, acct_all, bulk_all, personalised_all, conn_window,
                      open_window, old)  # fmt: skip
        engine.days_in_order += 1
    if loop is None:
        sends = Sends(t_all, s_all, key_all, seat_all, acct_all, base + np.arange(n_all, dtype=np.int64), bulk_all,
                      personalised_all, conn_window, open_window, window, n_all)  # fmt: skip
    else:
        ok = loop.ok
        n = int(ok.sum())
        sends = Sends(t_all[ok], s_all[ok], key_all[ok], seat_all[ok], acct_all[ok], base + np.flatnonzero(ok),
                      bulk_all[ok], personalised_all[ok], conn_window[:n], loop.cost == OPEN, window[:n],
                      loop.drawn)  # fmt: skip
        for code, reason in enumerate(REASONS, start=1):
            refused = loop.reason == code
            if refused.any():
                engine.blocked[reason][:, day] += np.bincount(s_all[refused], minlength=len(engine.senders))
    _send(engine, day, sends, loop, old)
    return True


def _mixed_day(engine: FastOutreach, day: int, plan: Plan) -> bool:
    """A day of a team with email senders, with numpy, when nothing refuses a send (the candidates of InMails
    and emails interleaved as `Population.assign` gives them); False, having changed nothing, when a send
    may be refused (the day is then replayed attempt by attempt)."""
    t_all, s_all, key_all, base = plan
    n_all = len(t_all)
    pop = engine.population
    email = engine.email_of[s_all]
    positions = pop.assign(email, day)
    if positions is None:
        return False
    cand = pop.candidates(positions)
    inmail = ~email
    seat_all = np.where(inmail, engine.seat_of[s_all], -1)
    acct_all = np.where(inmail, engine.seat_account[seat_all], -1)
    conn, opened = free_messages(engine.rules, pop.degree[cand] == 1, pop.open_profile[cand])
    conn &= inmail
    opened &= inmail
    rooms = send_rooms(engine.seat_objs, day)
    if not nothing_refuses(engine, rooms, seat_all[inmail], acct_all[inmail], conn[inmail], opened[inmail]):
        return False
    u = engine.sending.peek(2 * n_all)
    bulk = u[0::2] < engine.bulk_share[s_all]
    personalised = u[1::2] < engine.pers_share[s_all]
    old = due_refunds(engine, day, pop=False)
    cand = pop.commit(positions)
    sends = Sends(t_all, s_all, key_all, seat_all, acct_all, base + np.arange(n_all, dtype=np.int64), bulk,
                  personalised, conn, opened, cand, n_all, email)  # fmt: skip
    _send(engine, day, sends, None, old)
    return True


def _send(engine: FastOutreach, day: int, sends: Sends, loop: Pass | None, old: tuple[np.ndarray, ...]) -> None:
    """Commit a day's sends: nothing below can refuse them any more."""
    n = len(sends.t)
    t, seat, account = sends.t, sends.seat, sends.account
    credit = sends.credit
    horizon = float(engine.horizon)
    life = lifecycles(engine, sends, day)
    read_at, when, outcome, follow_up = life.read_at, life.responded_at, life.outcome, life.follow_up_at
    te_read = t + (read_at - t)
    logged_read = np.where((read_at < horizon) & (te_read < horizon), read_at, np.nan)
    with np.errstate(invalid="ignore"):
        te_resp = t + (when - t)
    answered = (when < horizon) & (te_resp < horizon)
    counts = engine.counts_code[outcome] & answered
    msg = engine.n_msgs + np.arange(n, dtype=np.int64)
    counting_delay = np.where(engine.counts_code[outcome], life.response_delay, np.inf)
    back = np.where(credit, credit_back_batch(engine.rules, t, counting_delay), np.inf)
    with np.errstate(invalid="ignore"):
        te_back = t + (back - t)
    refund = (back < horizon) & (te_back < horizon)
    r_time = te_back[refund]
    r_key = 4 * sends.attempt[refund] + KEY_CHECK
    refunded_at = np.full(n, np.nan)
    refunded_at[refund] = r_time
    new_items = (r_time, r_key, msg[refund], seat[refund], account[refund])

    engine.sending.consume(2 * sends.drawn)
    pop = engine.population
    engine.taken += n
    if sends.email is None:
        pop.contacted[sends.cand] = True
        pop._cursor["inmail"] = engine.taken
    cost = np.where(sends.conn, CONN, np.where(sends.opened, OPEN, CREDIT))
    engine.log.write(
        {
            "seat": seat,
            "sender": sends.sender,
            "candidate": sends.cand,
            "channel": 0 if sends.email is None else sends.email.astype(np.int8),
            "cost": cost if sends.email is None else np.where(sends.email, NONE, cost),
            "bulk": sends.bulk,
            "personalised": sends.personalised,
            "sent_at": t,
            "read_at": logged_read,
            "outcome": np.where(answered, outcome, 0),
            "responded_at": np.where(answered, te_resp, np.nan),
            "refunded_at": refunded_at,
            "followed_up_at": np.where(follow_up < horizon, follow_up, np.nan),
        },
    )
    engine.n_msgs += n
    _count(engine, day, sends, counts, te_resp)
    due_today = r_time < float(day + 1)
    later = ~due_today
    split_by_day(r_time[later].astype(np.int64), tuple(c[later] for c in new_items), engine.refunds)
    engine.refunds.pop(day, None)
    if loop is not None:
        if loop.same_day != int(due_today.sum()):
            raise InvariantError(f"day {day}: the pass in order and the batch disagree on same-day refunds")
        for ledger, moved in zip(engine.ledgers, loop.ledgers, strict=True):
            ledger.apply_pass(moved, t, seat, msg)
        return
    today = tuple(c[due_today] for c in new_items)
    _move_credits(engine, sends, msg, old, today)


def _count(
    engine: FastOutreach,
    day: int,
    sends: Sends,
    counts: np.ndarray,
    te_resp: np.ndarray,
) -> None:
    """The day's counters: sends, InMails and responses to InMails by sender (`counts`: answered before the
    horizon with an outcome the rules count); the policy's sends and responses; each seat's limits and
    credit counters; each account's InMail counts."""
    s, seat, account = sends.sender, sends.seat, sends.account
    inmail = sends.inmail
    n_senders = len(engine.senders)
    engine.sent[:, day] += np.bincount(s, minlength=n_senders)
    engine.inmails_sent[:, day] += np.bincount(s[inmail], minlength=n_senders)
    policy_resp = counts & inmail  # responses to InMails, as the `responses` KPI and the policy count them
    if policy_resp.any():
        np.add.at(engine.responses, (s[policy_resp], te_resp[policy_resp].astype(np.int64)), 1)
        split_by_day(
            te_resp[policy_resp].astype(np.int64),
            (seat[policy_resp], sends.t[policy_resp].astype(np.int64)),
            engine.policy_responses,
        )
    n_seats = len(engine.seat_objs)
    c_inmail = np.bincount(seat[inmail], minlength=n_seats)
    c_open = np.bincount(seat[sends.opened], minlength=n_seats)
    c_bulk = np.bincount(seat[inmail & sends.bulk], minlength=n_seats)
    record_day(engine.seat_objs, day, c_inmail, c_inmail - c_open, c_open, c_bulk)
    n_accounts = len(engine.ledgers)
    free = np.bincount(account[sends.conn | sends.opened], minlength=n_accounts)
    sent_inmails = np.bincount(account[inmail], minlength=n_accounts)
    for i, acc in enumerate(engine.account_list):
        acc.free_sent += int(free[i])
        acc.inmails_sent += int(sent_inmails[i])


def _move_credits(
    engine: FastOutreach, sends: Sends, msg: np.ndarray, old: tuple[np.ndarray, ...], today: tuple[np.ndarray, ...]
) -> None:
    """Today's spends, the credits due back today from earlier days (`old`) and from today's sends (`today`),
    applied to each ledger in (time, key) order."""
    credit = sends.credit
    n_spend = int(credit.sum())
    rt = np.concatenate((sends.t[credit], old[0], today[0]))
    if not len(rt):
        return
    rk = np.concatenate((sends.key[credit], old[1], today[1]))
    rmsg = np.concatenate((msg[credit], old[2], today[2]))
    rseat = np.concatenate((sends.seat[credit], old[3], today[3]))
    is_refund = np.ones(len(rt), dtype=bool)
    is_refund[:n_spend] = False
    order = np.lexsort((rk, rt))
    if len(engine.ledgers) == 1:
        engine.ledgers[0].bulk(rt[order], is_refund[order], rseat[order], rmsg[order])
        return
    racct = np.concatenate((sends.account[credit], old[4], today[4]))[order]
    for i, ledger in enumerate(engine.ledgers):
        mine = order[racct == i]
        ledger.bulk(rt[mine], is_refund[mine], rseat[mine], rmsg[mine])


def lifecycles(engine: FastOutreach, sends: Sends, day: int) -> DayLifecycles:
    """What the sampler says of each InMail sent, a whole day at once and to the last bit (its `sample_day`)."""
    sampler = engine.sampler
    if isinstance(sampler, SimpleSampler):
        return sampler.sample_day(sends.cand, sends.t, sends.email)
    assert isinstance(sampler, SegmentedSampler)
    groups = [g.group for g in engine.groups]
    return sampler.sample_day(groups, engine.group_of[sends.sender], sends.cand, sends.t, sends.personalised,
                              engine.weekdays[day], sends.email)  # fmt: skip


def nothing_refuses(
    engine: FastOutreach,
    rooms: SendRooms,
    seat: np.ndarray,
    account: np.ndarray,
    conn_window: np.ndarray,
    open_window: np.ndarray,
) -> bool:
    """True when every attempt of the day will be sent: a candidate for each, no restricted seat, room under
    every limit for all of a seat's attempts (the rules' `send_rooms`), and credits enough for every attempt
    (refunds only add)."""
    n = len(seat)
    if len(conn_window) < n:
        return False
    n_seats = len(engine.seat_objs)
    attempts = np.bincount(seat, minlength=n_seats)
    if (rooms.restricted & (attempts > 0)).any() or (attempts > rooms.send).any():
        return False
    if (attempts > rooms.credits).any():
        return False
    if open_window.any() and (np.bincount(seat[open_window], minlength=n_seats) > rooms.open_profile).any():
        return False
    spends = np.bincount(account, minlength=len(engine.ledgers))
    return all(spends[i] <= ledger.balance for i, ledger in enumerate(engine.ledgers))
