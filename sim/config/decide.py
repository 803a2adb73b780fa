"""The `decide:` block of `inmail-sim recommend`: the levers and their ranges, the objective, the constraints,
and how hard to look (confidence, indifference, replication budget)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .distributions import FieldIssues

Objective = Literal["responses", "accepted", "cost_per_response", "responses_within_budget"]
OBJECTIVE_WORDS: dict[str, str] = {
    "responses": "responses",
    "responses_within_budget": "responses",
    "accepted": "accepted InMails",
    "cost_per_response": "cost per response",
}
"""What each objective counts, in the words of the recommendation and its report."""
# an event of one replication -> (KPI it is read from, words for the report)
EVENTS: dict[str, tuple[str, str]] = {
    "any_seat_restricted": ("policy_restrictions", "a seat is restricted by the response-rate rule"),
    "any_seat_warned": ("policy_warnings", "a seat is warned by the response-rate rule"),
    "pool_ran_dry": ("sends_blocked_no_credit", "the credits run out (a send refused for want of a credit)"),
    "candidates_ran_out": ("sends_blocked_no_candidates", "the candidate pool runs out"),
}
# lever shorthands -> dotted keys ({g}: the team group's index)
SHORTHANDS: dict[str, str] = {
    "seats": "accounts.0.seats,team.{g}.count",
    "plan": "accounts.0.plan",
    "daily_target": "team.{g}.daily_target",
    "personalised_share": "team.{g}.personalised_share",
    "bulk_share": "team.{g}.bulk_share",
    "message_length": "team.{g}.message_length",
    "workdays": "team.{g}.workdays",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Lever(_Strict):
    """One thing the decision may change: a shorthand (seats, plan, daily_target, personalised_share,
    bulk_share, message_length, workdays) or dotted scenario keys (comma-separated keys move together),
    over listed `values` or a numeric range `low`..`high` (with `step`, else every whole number)."""

    key: str = Field(min_length=1, description="shorthand or dotted key(s), e.g. daily_target or team.0.count")
    group: str | None = Field(None, description="for a team shorthand: the team group's name (default: the first)")
    values: list[Any] | None = Field(None, min_length=1, description="the values to consider")
    low: float | None = Field(None, description="range start (with high)")
    high: float | None = Field(None, description="range end, included (with low)")
    step: float | None = Field(None, gt=0, description="range step (default 1: whole numbers)")

    @model_validator(mode="after")
    def _values_or_range(self) -> Lever:
        ranged = self.low is not None or self.high is not None
        if self.values is not None and ranged:
            raise FieldIssues([(("values",), "give either values or low/high, not both")])
        if self.values is None and not ranged:
            raise FieldIssues([(("values",), "give the values to consider, or a range with low and high")])
        if ranged and (self.low is None or self.high is None):
            raise FieldIssues([(("low" if self.low is None else "high",), "a range needs both low and high")])
        if ranged and self.low is not None and self.high is not None and self.low > self.high:
            raise FieldIssues([(("high",), f"must be at least low ({self.low:g}) (got {self.high:g})")])
        return self

    def choices(self) -> list[Any]:
        """Every value of the lever, in order."""
        if self.values is not None:
            return list(self.values)
        assert self.low is not None and self.high is not None
        step = self.step or 1.0
        count = int((self.high - self.low) / step + 1e-9) + 1
        whole = float(self.low).is_integer() and float(step).is_integer()
        return [int(self.low + i * step) if whole else round(self.low + i * step, 10) for i in range(count)]


class Constraint(_Strict):
    """A limit the recommended plan must keep: the probability of an `event` in a replication at most
    `max_probability`, or the mean of a `kpi` at most `max` / at least `min`."""

    event: str | None = Field(None, description=f"one of: {', '.join(EVENTS)}")
    max_probability: Annotated[float, Field(gt=0, lt=1)] | None = Field(None, description="the event's limit")
    kpi: str | None = Field(None, description="a KPI (or total_cost, cost_per_response, ...) whose mean is bounded")
    max: float | None = Field(None, description="the KPI's mean must be at most this")
    min: float | None = Field(None, description="the KPI's mean must be at least this")

    @model_validator(mode="after")
    def _one_kind(self) -> Constraint:
        if (self.event is None) == (self.kpi is None):
            raise FieldIssues([(("event",), "give either event (with max_probability) or kpi (with max or min)")])
        if self.event is not None:
            if self.event not in EVENTS:
                raise FieldIssues([(("event",), f"unknown event (events: {', '.join(EVENTS)}) (got {self.event!r})")])
            if self.max_probability is None:
                raise FieldIssues([(("max_probability",), "an event constraint needs max_probability, e.g. 0.05")])
        elif (self.max is None) == (self.min is None):
            raise FieldIssues([(("max",), "a kpi constraint needs exactly one of max or min")])
        return self

    @property
    def name(self) -> str:
        if self.event is not None:
            return f"P({self.event})"
        return f"{self.kpi} {'<=' if self.max is not None else '>='} {self.max if self.max is not None else self.min}"


class DecideSpec(_Strict):
    """What `inmail-sim recommend` may change, what it maximises, the limits it keeps, and how surely."""

    levers: list[Lever] = Field(min_length=1, description="what may change, and over which values")
    objective: Objective = Field("responses", description="what the best plan does best")
    budget: Annotated[float, Field(gt=0)] | None = Field(
        None, description="total cost the plan may not exceed (needed by responses_within_budget)"
    )
    constraints: list[Constraint] = Field(default_factory=list, description="limits the plan must keep")
    confidence: Annotated[float, Field(ge=0.5, le=0.999)] = Field(
        0.95, description="chance of the right pick (within the indifference) and of each constraint holding"
    )
    indifference: Annotated[float, Field(gt=0)] | None = Field(
        None, description="objective difference not worth telling apart (default: 2% of the best first mean; "
        "at least 1 response or accept)"
    )
    method: Literal["auto", "ranking", "search"] = Field(
        "auto", description="ranking: every candidate (KN); search: Optuna then ranking of the best; auto: by size"
    )
    first_replications: Annotated[int, Field(ge=3, le=1000)] = Field(10, description="replications of every candidate")
    max_replications: Annotated[int, Field(ge=3, le=10_000)] = Field(100, description="most of one candidate")
    step: Annotated[int, Field(ge=1, le=1000)] = Field(5, description="replications added per round")
    ranking_limit: Annotated[int, Field(ge=2, le=10_000)] = Field(
        60, description="with method auto: rank every candidate up to this many, else search"
    )
    trials: Annotated[int, Field(ge=2, le=10_000)] = Field(40, description="search: candidates Optuna evaluates")
    shortlist: Annotated[int, Field(ge=2, le=100)] = Field(6, description="search: best trials carried to ranking")
    common_random_numbers: bool = Field(True, description="every candidate on the same replications (keep on)")

    @model_validator(mode="after")
    def _budget(self) -> DecideSpec:
        if self.objective == "responses_within_budget" and self.budget is None:
            raise FieldIssues([(("budget",), "objective responses_within_budget needs a budget (total cost)")])
        if self.max_replications < self.first_replications:
            raise FieldIssues(
                [(("max_replications",), f"must be at least first_replications ({self.first_replications})")]
            )
        return self

    def all_constraints(self) -> list[Constraint]:
        """The constraints, with the budget as `total_cost <= budget` when one is given."""
        extra = [Constraint(kpi="total_cost", max=self.budget)] if self.budget is not None else []
        return [*self.constraints, *extra]
