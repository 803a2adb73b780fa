"""What calibration changes in a scenario's behaviour, per behaviour model, and what it cannot learn.

The fit has at most four kinds of unknowns: a factor k on the chance of a response, the accept share q, a
factor s on every delay, and weekday factors (daily periods only). Here they become scenario values: each
setting's dotted key, the scenario's value, the fitted value and its 95% interval."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config.scenario import Scenario, SimpleBehaviour
from ..config.segments import SegmentedBehaviour
from .calibrate_fit import WEEKDAY_NAMES, Estimate


@dataclass(frozen=True)
class Setting:
    """One scenario value the calibration set."""

    key: str
    default: float
    value: float
    low: float
    high: float
    identified: bool
    source: str  # what in the export it was fitted from


FROM_RESPONSES = "answered share of InMails per period, in periods old enough for most responses to be in"
FROM_OUTCOMES = "accepted among accepted + declined"
FROM_PENDING = "how the pending share falls with the age of the period (recent periods still pending)"
FROM_WEEKDAYS = "answered share of InMails sent on that weekday against Monday to Thursday"


def response_ceiling(behaviour: SimpleBehaviour | SegmentedBehaviour) -> float:
    """The largest factor k for which every response chance stays a probability; None when nothing to scale."""
    if isinstance(behaviour, SimpleBehaviour):
        base = behaviour.response_probability
    else:
        base = max(s.base_response for s in behaviour.segments)
    if base <= 0:
        raise ValueError("the scenario's response chance is 0: calibration scales it, so it must be above 0")
    return 1.0 / base


def weekdays_shown(daily: bool, days_sent: set[int]) -> list[int]:
    """The weekdays whose factor the data can show: daily periods, InMails sent that day and Monday to Thursday."""
    if not daily or not days_sent & {0, 1, 2, 3}:
        return []
    return sorted(d for d in WEEKDAY_NAMES if d in days_sent)


def _scaled_delay(delay: dict[str, Any], s: float) -> dict[str, Any]:
    out = dict(delay)
    for name, value in delay.items():
        if name == "days" or name.endswith("_days"):
            out[name] = value * s
        elif name == "values":
            out[name] = [v * s for v in value]
    return out


def _delay_settings(prefix: str, delay: dict[str, Any], est: Estimate) -> list[Setting]:
    return [
        Setting(
            f"{prefix}.{name}",
            value,
            value * est.value,
            value * est.low,
            value * est.high,
            est.identified,
            FROM_PENDING,
        )
        for name, value in delay.items()
        if name == "days" or name.endswith("_days")
    ]


def _delay_paths(behaviour: dict[str, Any]) -> list[str]:
    if behaviour["model"] == "simple":
        return ["read_delay", "reply_delay"]
    return [f"login_interval.{c}" for c in ("daily", "weekly", "monthly", "dormant")] + ["notice_delay", "reply_delay"]


def _get(data: dict[str, Any], path: str) -> dict[str, Any]:
    for part in path.split("."):
        data = data[part]
    return data


def settings(scenario: Scenario, estimates: dict[str, Estimate]) -> list[Setting]:
    """Every scenario value the estimates change, with its interval."""
    b = scenario.behaviour.model_dump(mode="json")
    out: list[Setting] = []
    k = estimates["response"]
    if b["model"] == "simple":
        p = b["response_probability"]
        out.append(
            Setting(
                "behaviour.response_probability", p, p * k.value, p * k.low, p * k.high, k.identified, FROM_RESPONSES
            )
        )
    else:
        for i, seg in enumerate(b["segments"]):
            p = seg["base_response"]
            out.append(
                Setting(
                    f"behaviour.segments[{i}].base_response",
                    p,
                    p * k.value,
                    p * k.low,
                    p * k.high,
                    k.identified,
                    FROM_RESPONSES + " (one factor for every segment)",
                )
            )
    q = estimates["accept_share"]
    out.append(
        Setting("behaviour.accept_share", b["accept_share"], q.value, q.low, q.high, q.identified, FROM_OUTCOMES)
    )
    for path in _delay_paths(b):
        out += _delay_settings(f"behaviour.{path}", _get(b, path), estimates["delay_scale"])
    if b["model"] == "segmented":
        for name in WEEKDAY_NAMES.values():
            if name in estimates:
                w, m = estimates[name], b["multipliers"][name]
                out.append(
                    Setting(
                        f"behaviour.multipliers.{name}",
                        m,
                        m * w.value,
                        m * w.low,
                        m * w.high,
                        w.identified,
                        FROM_WEEKDAYS,
                    )
                )
    return out


def fitted_behaviour(scenario: Scenario, values: dict[str, float]) -> dict[str, Any]:
    """The scenario's behaviour with the factors in `values` (response, accept_share, delay_scale, weekdays)."""
    b = scenario.behaviour.model_dump(mode="json")
    k, s = values["response"], values["delay_scale"]
    if b["model"] == "simple":
        b["response_probability"] = min(1.0, b["response_probability"] * k)
    else:
        for seg in b["segments"]:
            seg["base_response"] = min(1.0, seg["base_response"] * k)
        for name in WEEKDAY_NAMES.values():
            if name in values:
                b["multipliers"][name] = min(10.0, b["multipliers"][name] * values[name])
    if values.get("accept_share") == values.get("accept_share"):  # not NaN
        b["accept_share"] = values["accept_share"]
    for path in _delay_paths(b):
        parent, _, leaf = f"x.{path}".rpartition(".")
        holder = _get({"x": b}, parent)
        holder[leaf] = _scaled_delay(holder[leaf], s)
    return b


def not_identified(scenario: Scenario, daily: bool) -> list[str]:
    """What an export of counts per seat and period cannot tell apart: held at the scenario's values."""
    common = []
    if isinstance(scenario.behaviour, SimpleBehaviour):
        common += [
            "how the delay splits between reading (read_delay) and replying (reply_delay): the counts show only "
            "when responses arrive, so one factor scales both and their ratio stays the scenario's",
            "the shape of each delay distribution (e.g. a lognormal's sigma): held",
            "a weekday effect: the simple model has none"
            + ("" if daily else " (and weekly periods could not show it)"),
        ]
        return common
    return [
        "each segment's own base rate: the export does not split InMails by segment, so one factor scales every "
        "segment's base_response and their ratios stay the scenario's",
        "how the delay splits between login habits, noticed notifications and replying: one factor scales "
        "login_interval, notice_delay and reply_delay (the rules' reminder day is not scaled)",
        "activity mix, notification, reminder and spam shares, fit, open-to-work, personalisation, length, language "
        "and follow-up multipliers: the export does not split InMails by them, so they are held",
        *([] if daily else ["the weekday multipliers: weekly periods mix the weekdays (a daily export can show them)"]),
    ]
