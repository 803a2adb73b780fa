"""How candidates answer: a sampler that, given a candidate and a message, returns when it is read, the
outcome and when the response comes. Models plug in behind `Sampler`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np

from ..config.scenario import SimpleBehaviour
from ..rules import Rules
from ..rules.channels import email_response_probability
from .candidates import Population
from .drawn import below, uniform, zeros
from .streams import Streams

NO_RESPONSE = "none"
OUTCOMES = (NO_RESPONSE, "accepted", "declined", "quick_reply")
"""Outcome codes of the batch forms: 0 none, 1 accepted, 2 declined, 3 quick reply."""


def outcome_codes(quick: np.ndarray, accepts: np.ndarray) -> np.ndarray:
    """The outcome code of a response: a quick reply, else an accept or a decline."""
    codes: np.ndarray = np.where(quick, 3, np.where(accepts, 1, 2))
    return codes


@dataclass(frozen=True, slots=True)
class Message:
    """What the sampler may look at in a message."""

    channel: str  # "inmail" or "email"
    sent_at: float
    personalised: bool
    bulk: bool
    length: int
    weekday: int = 0  # Monday 0 ... Sunday 6
    translated: bool = False  # written in the reader's language
    scam_like: bool = False  # the sender looks like a scam recruiter
    follow_up_after: float | None = None  # days after which an unanswered InMail gets a follow-up


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """What will happen to one message: read time, outcome and response time (inf when never), and the
    response's delay from sending (the refund rule judges the delay: `responded_at` is sent_at + delay)."""

    read_at: float
    outcome: str
    responded_at: float
    follow_up_at: float = math.inf  # when a follow-up was sent (inf: none)
    response_delay: float = math.inf


class DayLifecycles(NamedTuple):
    """The lifecycles of many messages at once (a batch form of `Lifecycle`): outcome codes index `OUTCOMES`."""

    read_at: np.ndarray
    responded_at: np.ndarray  # inf: no response
    response_delay: np.ndarray  # inf: no response
    outcome: np.ndarray
    follow_up_at: np.ndarray  # inf: no follow-up


class Sampler(Protocol):
    def sample(self, candidate: int, message: Message) -> Lifecycle: ...


class SimpleSampler:
    """Every candidate alike. Each candidate's delays and answers are drawn once, from their own streams, as
    the pool reaches them (columns of the population), so two scenarios with the same seed see the same
    candidates answer the same way."""

    def __init__(self, spec: SimpleBehaviour, rules: Rules, population: Population, streams: Streams) -> None:
        self.p_inmail = spec.response_probability
        self.p_email = email_response_probability(rules, spec.response_probability)
        read, reply = streams["read"], streams["reply_delay"]
        self.read_delay = population.column(lambda k: spec.read_delay.sample(read, k))
        self.u_response = population.column(uniform(streams["response"]))
        self.reply_delay = population.column(lambda k: spec.reply_delay.sample(reply, k))
        self.accepts = population.column(below(streams["outcome"], spec.accept_share))
        share = spec.quick_reply_share
        self.quick = population.column(below(streams["quick_reply"], share) if share else zeros(bool))

    def responds(self, cand: np.ndarray, email: np.ndarray | None = None) -> np.ndarray:
        """Whether each candidate answers an InMail (or an email where `email`)."""
        u: np.ndarray = self.u_response[cand]
        answers: np.ndarray = (
            u < self.p_inmail if email is None else np.where(email, u < self.p_email, u < self.p_inmail)
        )
        return answers

    def outcomes(self, cand: np.ndarray) -> np.ndarray:
        """Each candidate's outcome code should they answer."""
        return outcome_codes(self.quick[cand], self.accepts[cand])

    def sample(self, candidate: int, message: Message) -> Lifecycle:
        t = message.sent_at
        wait = float(self.read_delay.at(candidate))
        p = self.p_inmail if message.channel == "inmail" else self.p_email
        if not self.u_response.at(candidate) < p:
            return Lifecycle(t + wait, NO_RESPONSE, math.inf)
        outcome = OUTCOMES[int(outcome_codes(self.quick.at(candidate), self.accepts.at(candidate)))]
        delay = wait + float(self.reply_delay.at(candidate))
        return Lifecycle(t + wait, outcome, t + delay, response_delay=delay)

    def sample_day(self, cand: np.ndarray, t: np.ndarray, email: np.ndarray | None = None) -> DayLifecycles:
        """`sample` over arrays of messages (InMails, or emails where `email`), with the same operations (so
        the same floating-point results)."""
        wait = self.read_delay[cand]
        delay = np.where(self.responds(cand, email), wait + self.reply_delay[cand], np.inf)
        return DayLifecycles(t + wait, t + delay, delay, self.outcomes(cand), np.full(len(t), np.inf))
