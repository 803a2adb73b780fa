"""The segmented behaviour model: who reads an InMail when, and who answers.

Reading: the InMail waits for the candidate's next login; a noticed email notification brings the read
forward, and so may the automatic reminder (where the rules send one). Answering: segment base rate times
the multipliers of the message and the candidate, capped; a follow-up to an unanswered InMail gives a
second, smaller chance. Every per-candidate draw is made once, up front, from its own stream, so two
scenarios with the same seed see the same candidates behave the same way (common random numbers).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

from ..config.scenario import TeamGroup
from ..config.segments import SegmentedBehaviour
from ..rules import Rules
from ..rules.channels import email_response_probability, read_wait, read_waits
from .behaviour import NO_RESPONSE, OUTCOMES, DayLifecycles, Lifecycle, Message, outcome_codes
from .candidates import Population
from .streams import Streams


class SegmentedSampler:
    """Per-candidate attributes and draws for the segmented model; `sample` combines them with a message."""

    def __init__(self, spec: SegmentedBehaviour, rules: Rules, population: Population, streams: Streams) -> None:
        n = population.size
        self.spec = spec
        self.mult = spec.multipliers
        self.rules = rules
        attrs = streams["segments"]
        shares = np.array([s.share for s in spec.segments])
        self.segment = attrs.choice(len(spec.segments), size=n, p=shares / shares.sum())
        seg = self.segment
        open_share = np.array([s.open_to_work_share for s in spec.segments])[seg]
        english_share = np.array([s.reads_english_share for s in spec.segments])[seg]
        notify_share = np.array([s.email_notification_share for s in spec.segments])[seg]
        spam_share = np.array([s.spam_share for s in spec.segments])[seg]
        self.open_to_work = attrs.random(n) < open_share
        self.reads_english = attrs.random(n) < english_share
        notified = attrs.random(n) < notify_share
        not_spam = attrs.random(n) >= spam_share
        u_activity = attrs.random(n)
        # the activity class: how many of its segment's cumulative class shares the uniform reaches (at most 3)
        cum = np.cumsum([segment.activity.shares() for segment in spec.segments], axis=1)
        self.activity = np.zeros(n, dtype=np.int8)
        for j in range(3):
            self.activity += cum[:, j][seg] <= u_activity
        self.fit = streams["fit"].beta(spec.fit.alpha, spec.fit.beta, n)
        mean_fit = spec.fit.alpha / (spec.fit.alpha + spec.fit.beta)
        self.fit_mult = (self.fit / mean_fit) ** spec.fit.effect
        self.base = np.array([s.base_response for s in spec.segments])[seg] * np.where(
            self.open_to_work, self.mult.open_to_work, 1.0
        )

        read = streams["read"]
        self.login_wait = np.empty(n)
        for k, dist in enumerate(spec.login_interval.by_class()):
            mine = self.activity == k
            self.login_wait[mine] = dist.sample(read, int(mine.sum()))
        self.notice_wait = np.where(
            notified & not_spam & (read.random(n) < spec.notification_noticed),
            spec.notice_delay.sample(read, n),
            math.inf,
        )
        self.reminder_wait = np.where(
            notified & not_spam & (read.random(n) < spec.reminder_noticed),
            spec.notice_delay.sample(read, n),
            math.inf,
        )
        self.u_response = streams["response"].random(n)
        self.reply_delay = spec.reply_delay.sample(streams["reply_delay"], n)
        self._follow_up_streams = (streams["response"], streams["reply_delay"], n)  # drawn when first asked
        self.u_outcome = streams["outcome"].random(n)
        share = spec.quick_reply_share
        self.quick = streams["quick_reply"].random(n) < share if share else np.zeros(n, dtype=bool)

    @functools.cached_property
    def u_follow_up(self) -> np.ndarray:
        """Each candidate's uniform for answering a follow-up: the second draw of the response stream, made
        only by a run that follows up (nothing else draws from that stream, so the values are the same)."""
        response, _, n = self._follow_up_streams
        return response.random(n)

    @functools.cached_property
    def follow_up_delay(self) -> np.ndarray:
        """Each candidate's delay in answering a follow-up: the reply-delay stream's second draw, when asked."""
        _, reply, n = self._follow_up_streams
        delays: np.ndarray = self.spec.reply_delay.sample(reply, n)
        return delays

    def read_delay(self, candidate: int) -> float:
        """Days from sending to reading for this candidate (without a message, so tests can check the mixture)."""
        wait = min(float(self.login_wait[candidate]), float(self.notice_wait[candidate]))
        return read_wait(self.rules, wait, float(self.reminder_wait[candidate]))

    def probability(self, candidate: int, message: Message) -> float:
        """Chance that a read message gets a response."""
        m = self.mult
        p = float(self.base[candidate]) * float(self.fit_mult[candidate])
        p *= m.length(message.length) * m.weekday(message.weekday)
        if message.personalised:
            p *= m.personalised
        if not message.translated and not self.reads_english[candidate]:
            p *= m.untranslated
        if message.scam_like:
            p *= m.scam_like
        if message.channel == "email":
            p = email_response_probability(self.rules, p)
        return min(p, self.spec.cap)

    def sample(self, candidate: int, message: Message) -> Lifecycle:
        t = message.sent_at
        wait = self.read_delay(candidate)
        p = self.probability(candidate, message)
        delay = math.inf  # from sending to the response
        if self.u_response[candidate] < p:
            delay = wait + float(self.reply_delay[candidate])
        follow_up_at = math.inf
        after = message.follow_up_after
        if after is not None and delay > after:
            follow_up_at = t + after
            if self.u_follow_up[candidate] < p * self.mult.follow_up:
                delay = min(delay, max(wait, after) + float(self.follow_up_delay[candidate]))
        if math.isinf(delay):
            return Lifecycle(t + wait, NO_RESPONSE, math.inf, follow_up_at)
        code = outcome_codes(self.quick[candidate], self.u_outcome[candidate] < self.spec.accept_share)
        return Lifecycle(t + wait, OUTCOMES[int(code)], t + delay, follow_up_at, delay)

    def sample_day(
        self,
        groups: Sequence[TeamGroup],
        group: np.ndarray,
        cand: np.ndarray,
        t: np.ndarray,
        personalised: np.ndarray,
        weekday: int,
        email: np.ndarray | None = None,
    ) -> DayLifecycles:
        """`sample` over arrays of messages sent on one day (by recruiters of `groups[group]`; emails where
        `email`), with the same operations in the same order (so the same floating-point results)."""
        wait = np.minimum(self.login_wait[cand], self.notice_wait[cand])
        wait = read_waits(self.rules, wait, self.reminder_wait[cand])
        m = self.mult
        p = self.base[cand] * self.fit_mult[cand]
        lengths = np.asarray([m.length(g.message_length) * m.weekday(weekday) for g in groups])
        p = p * lengths[group]
        p = np.where(personalised, p * m.personalised, p)
        translated = np.asarray([g.translated for g in groups])[group]
        p = np.where(~translated & ~self.reads_english[cand], p * m.untranslated, p)
        scam = np.asarray([g.looks_like_scam for g in groups])[group]
        p = np.where(scam, p * m.scam_like, p)
        if email is not None:
            p = np.where(email, email_response_probability(self.rules, p), p)
        p = np.minimum(p, self.spec.cap)
        delay = np.where(self.u_response[cand] < p, wait + self.reply_delay[cand], np.inf)
        after = np.asarray([np.nan if g.follow_up_after_days is None else g.follow_up_after_days
                            for g in groups])[group]  # fmt: skip
        if email is not None:
            after = np.where(email, np.nan, after)  # an email is never followed up
        follow_up = np.full(len(t), np.inf)
        has = ~np.isnan(after)
        if has.any():
            due = has & (delay > after)
            follow_up = np.where(due, t + after, np.inf)
            answers = due & (self.u_follow_up[cand] < p * m.follow_up)
            again = np.maximum(wait, after) + self.follow_up_delay[cand]
            delay = np.where(answers, np.minimum(delay, again), delay)
        outcome = outcome_codes(self.quick[cand], self.u_outcome[cand] < self.spec.accept_share)
        return DayLifecycles(t + wait, t + delay, delay, outcome, follow_up)
