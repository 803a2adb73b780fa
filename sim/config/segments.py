"""The segmented candidate-behaviour model's parameters: every default states its source.

Sources: "LinkedIn" = figures LinkedIn published (help pages, Talent Blog InMail studies); "public figure" =
widely quoted public numbers; "assumption" = no public data, a stated guess the planner should vary.
The reference message that `base_response` describes: a bulk (not personalised), translated or English,
401-800-character InMail sent Monday to Thursday to a candidate of average fit who is not open to work.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..rules.presets import Number
from .distributions import Delay, Exponential, LogNormal

Share = Annotated[Number, Field(ge=0, le=1)]
Multiplier = Annotated[Number, Field(gt=0, le=10)]
ACTIVITY_CLASSES = ("daily", "weekly", "monthly", "dormant")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _exp(mean: float) -> Exponential:
    return Exponential(dist="exponential", mean_days=mean)


class ActivityMix(_Strict):
    """Shares of candidates by how often they log in (public figure: 30-40% of members are monthly active)."""

    daily: Share = Field(0.10, description="log in about daily (assumption within the public monthly-active share)")
    weekly: Share = Field(0.12, description="log in about weekly (assumption)")
    monthly: Share = Field(0.13, description="log in about monthly (assumption); daily+weekly+monthly = 35%")
    dormant: Share = Field(0.65, description="log in less than monthly (public figure: 60-70% not monthly active)")

    @model_validator(mode="after")
    def _sum_to_one(self) -> ActivityMix:
        total = self.daily + self.weekly + self.monthly + self.dormant
        if abs(total - 1) > 1e-9:
            raise ValueError(f"activity shares must sum to 1 (got {total:g})")
        return self

    def shares(self) -> list[float]:
        return [self.daily, self.weekly, self.monthly, self.dormant]


class LoginIntervals(_Strict):
    """Days from a send to the candidate's next login, per activity class (exponential: memoryless)."""

    daily: Delay = Field(default_factory=lambda: _exp(1.0), description="assumption")
    weekly: Delay = Field(default_factory=lambda: _exp(7.0), description="assumption")
    monthly: Delay = Field(default_factory=lambda: _exp(30.0), description="assumption")
    dormant: Delay = Field(default_factory=lambda: _exp(180.0), description="assumption")

    def by_class(self) -> list[Delay]:
        return [self.daily, self.weekly, self.monthly, self.dormant]


class Segment(_Strict):
    """A group of candidates who behave alike."""

    name: str = Field(description="label")
    share: Share = Field(description="share of the population")
    seniority: Literal["entry", "mid", "senior", "executive"] = Field(description="career level")
    base_response: Share = Field(description="chance a read reference InMail gets a response (assumption)")
    open_to_work_share: Share = Field(0.1, description="share open to work (assumption)")
    reads_english_share: Share = Field(0.85, description="share who read English (assumption)")
    activity: ActivityMix = Field(default_factory=ActivityMix)
    email_notification_share: Share = Field(0.7, description="share with InMail email notifications on (assumption)")
    spam_share: Share = Field(0.2, description="chance a notification lands in spam (assumption; the seed says it may)")


def _default_segments() -> list[Segment]:
    return [
        Segment(name="entry", share=0.25, seniority="entry", base_response=0.19, open_to_work_share=0.25),
        Segment(name="mid", share=0.40, seniority="mid", base_response=0.16, open_to_work_share=0.15),
        Segment(name="senior", share=0.25, seniority="senior", base_response=0.13, open_to_work_share=0.10),
        Segment(name="executive", share=0.10, seniority="executive", base_response=0.09, open_to_work_share=0.05),
    ]


class Multipliers(_Strict):
    """Factors on the response probability of the reference message."""

    personalised: Multiplier = Field(1.40, description="personalised vs bulk (LinkedIn: +40%)")
    open_to_work: Multiplier = Field(2.0, description="candidate open to work (LinkedIn: about 2x)")
    length_under_400: Multiplier = Field(1.22, description="under 400 characters (LinkedIn: +22%)")
    length_401_800: Multiplier = Field(1.03, description="401-800 characters (LinkedIn)")
    length_801_1200: Multiplier = Field(0.94, description="801-1200 characters (LinkedIn)")
    length_over_1200: Multiplier = Field(0.89, description="over 1200 characters (LinkedIn)")
    friday: Multiplier = Field(0.90, description="sent on a Friday (LinkedIn: -10%)")
    saturday: Multiplier = Field(0.84, description="sent on a Saturday (LinkedIn: -16%)")
    sunday: Multiplier = Field(0.84, description="sent on a Sunday (assumption: like Saturday)")
    untranslated: Multiplier = Field(
        0.5, description="untranslated message to a reader who does not read English; it shows in English (assumption)"
    )
    scam_like: Multiplier = Field(0.3, description="sender that looks like a scam recruiter (assumption)")
    follow_up: Multiplier = Field(0.5, description="a follow-up's chance relative to the first InMail's (assumption)")

    def length(self, characters: int) -> float:
        if characters < 400:
            return self.length_under_400
        if characters <= 800:
            return self.length_401_800
        if characters <= 1200:
            return self.length_801_1200
        return self.length_over_1200

    def weekday(self, weekday: int) -> float:
        return {4: self.friday, 5: self.saturday, 6: self.sunday}.get(weekday, 1.0)


class Fit(_Strict):
    """Each candidate's fit to the role: recruiters contact the best fit first, and fit raises the chance."""

    alpha: Number = Field(2.0, gt=0, le=1000, description="Beta distribution of fit scores (assumption)")
    beta: Number = Field(2.0, gt=0, le=1000, description="Beta distribution of fit scores (assumption)")
    effect: Number = Field(1.0, ge=0, le=10, description="response multiplier (fit / mean fit) ** effect (assumption)")


class SegmentedBehaviour(_Strict):
    """Candidates in segments with login habits, notifications, fit and the levers recruiters control."""

    model: Literal["segmented"] = "segmented"
    segments: list[Segment] = Field(default_factory=_default_segments, min_length=1)
    login_interval: LoginIntervals = Field(default_factory=LoginIntervals)
    notification_noticed: Share = Field(0.5, description="chance an email notification is noticed (assumption)")
    notice_delay: Delay = Field(
        default_factory=lambda: _exp(0.25), description="days from a noticed email to reading (assumption)"
    )
    reminder_noticed: Share = Field(0.3, description="chance a reminder email is noticed (assumption)")
    accept_share: Share = Field(0.6, description="share of accepts among accepts and declines (assumption)")
    quick_reply_share: Share = Field(
        0.1,
        description="share of responses that are a one-click quick reply instead of an accept or decline "
        "(assumption: LinkedIn publishes no figure; it counts as a response where response_kinds include it)",
    )
    reply_delay: Delay = Field(
        default_factory=lambda: LogNormal(dist="lognormal", median_days=1.0, sigma=1.0),
        description="days from reading to responding (assumption)",
    )
    fit: Fit = Field(default_factory=Fit)
    multipliers: Multipliers = Field(default_factory=Multipliers)
    cap: Number = Field(0.95, gt=0, lt=1, description="response probability never above this")

    @model_validator(mode="after")
    def _shares(self) -> SegmentedBehaviour:
        total = sum(s.share for s in self.segments)
        if abs(total - 1) > 1e-9:
            raise ValueError(f"segment shares must sum to 1 (got {total:g})")
        names = [s.name for s in self.segments]
        if len(set(names)) != len(names):
            raise ValueError(f"segment names must be unique (got {names})")
        return self


def parameter_table() -> str:
    """Every default of the segmented model as a Markdown table: name, value, meaning and source."""
    rows: list[tuple[str, str, str]] = []

    def walk(model: BaseModel, prefix: str) -> None:
        for name, field in type(model).model_fields.items():
            value = getattr(model, name)
            key = f"{prefix}{name}"
            if isinstance(value, BaseModel) and not hasattr(value, "dist"):
                walk(value, key + ".")
            elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
                for item in value:
                    walk(item, f"{key}[{getattr(item, 'name', '')}].")
            else:
                shown = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
                rows.append((key, _flow(shown), field.description or ""))

    walk(SegmentedBehaviour(), "behaviour.")
    lines = ["| parameter | default | meaning (source) |", "|---|---|---|"]
    lines += [f"| `{k}` | {v} | {d} |" for k, v, d in rows]
    return "\n".join(lines) + "\n"


def _flow(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)
