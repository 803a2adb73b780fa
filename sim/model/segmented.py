"""The segmented behaviour model: who reads an InMail when, and who answers.

Reading: the InMail waits for the candidate's next login; a noticed email notification brings the read
forward, and so may the automatic reminder (where the rules send one). Answering: segment base rate times
the multipliers of the message and the candidate, capped; a follow-up to an unanswered InMail gives a
second, smaller chance. Every per-candidate draw is made once, up front, from its own stream, so two
scenarios with the same seed see the same candidates behave the same way (common random numbers).
"""

from __future__ import annotations

import math

import numpy as np

from ..config.segments import SegmentedBehaviour
from ..rules import Rules
from .behaviour import NO_RESPONSE, Lifecycle, Message
from .candidates import Population
from .streams import Streams


class SegmentedSampler:
    """Per-candidate attributes and draws for the segmented model; `sample` combines them with a message."""

    def __init__(self, spec: SegmentedBehaviour, rules: Rules, population: Population, streams: Streams) -> None:
        n = population.size
        self.spec = spec
        self.mult = spec.multipliers
        self.reminder_after = rules.reminder_after_days
        self.inmail_vs_email = rules.inmail_vs_email
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
        self.activity = np.empty(n, dtype=np.int8)
        u_activity = attrs.random(n)
        for k, segment in enumerate(spec.segments):
            cum = np.cumsum(segment.activity.shares())
            mine = seg == k
            self.activity[mine] = np.minimum(np.searchsorted(cum, u_activity[mine], side="right"), 3)
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
        self.u_follow_up = streams["response"].random(n)
        self.reply_delay = spec.reply_delay.sample(streams["reply_delay"], n)
        self.follow_up_delay = spec.reply_delay.sample(streams["reply_delay"], n)
        self.u_outcome = streams["outcome"].random(n)

    def read_delay(self, candidate: int) -> float:
        """Days from sending to reading for this candidate (without a message, so tests can check the mixture)."""
        wait = min(float(self.login_wait[candidate]), float(self.notice_wait[candidate]))
        if self.reminder_after is not None and wait > self.reminder_after:
            wait = min(wait, self.reminder_after + float(self.reminder_wait[candidate]))
        return wait

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
            p /= self.inmail_vs_email
        return min(p, self.spec.cap)

    def sample(self, candidate: int, message: Message) -> Lifecycle:
        t = message.sent_at
        read_at = t + self.read_delay(candidate)
        p = self.probability(candidate, message)
        responded_at = math.inf
        if self.u_response[candidate] < p:
            responded_at = read_at + float(self.reply_delay[candidate])
        follow_up_at = math.inf
        if message.follow_up_after is not None and responded_at > t + message.follow_up_after:
            follow_up_at = t + message.follow_up_after
            if self.u_follow_up[candidate] < p * self.mult.follow_up:
                seen = max(read_at, follow_up_at)
                responded_at = min(responded_at, seen + float(self.follow_up_delay[candidate]))
        if math.isinf(responded_at):
            return Lifecycle(read_at, NO_RESPONSE, math.inf, follow_up_at)
        outcome = "accepted" if self.u_outcome[candidate] < self.spec.accept_share else "declined"
        return Lifecycle(read_at, outcome, responded_at, follow_up_at)
