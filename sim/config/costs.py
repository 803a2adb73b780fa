"""The `costs:` block: what seats, plans and recruiters' time cost, so that a plan can be judged in money.

The default prices are public list prices, dated and sourced below. They are assumptions: LinkedIn changes
them, sells annual billing for less, and negotiates Recruiter contracts privately. A scenario's `costs:`
block overrides any of them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Money = Annotated[float, Field(ge=0, le=1_000_000)]

PRICES_AS_OF = "2025-06"
# plan -> (list price per seat per month, billed monthly, in USD; where the figure comes from)
LIST_PRICES: dict[str, tuple[float, str]] = {
    "free": (0.0, "free plan"),
    "premium": (29.99, "linkedin.com/premium/products: Premium Career, monthly billing"),
    "premium_career": (29.99, "linkedin.com/premium/products: Premium Career, monthly billing"),
    "premium_business": (59.99, "linkedin.com/premium/products: Premium Business, monthly billing"),
    "sales_navigator": (99.99, "business.linkedin.com/sales-solutions: Sales Navigator Core, monthly billing"),
    "sales_navigator_team": (
        179.99,
        "business.linkedin.com/sales-solutions: Sales Navigator Advanced (the team plan), monthly billing",
    ),
    "recruiter_lite": (170.00, "business.linkedin.com/talent-solutions: Recruiter Lite, monthly billing"),
    "recruiter": (
        750.00,
        "not published (sold by annual contract); about $9,000 per seat per year in third-party reports",
    ),
    "recruiter_professional_services": (
        500.00,
        "not published (sold by annual contract); about $6,000 per seat per year in third-party reports",
    ),
}
# plans that sell InMail credits beyond the monthly grant -> price per credit (USD)
EXTRA_CREDIT_PRICES: dict[str, tuple[float, str]] = {
    "premium": (10.0, "LinkedIn help (older pages): additional InMail credits at $10 each"),
    "premium_career": (10.0, "LinkedIn help (older pages): additional InMail credits at $10 each"),
    "premium_business": (10.0, "LinkedIn help (older pages): additional InMail credits at $10 each"),
    "recruiter_lite": (10.0, "LinkedIn help (older pages): additional InMail credits at $10 each"),
}
HOURLY_COST_SOURCE = (
    "US BLS, Occupational Employment and Wage Statistics May 2024, human resources specialists: median "
    "about $35 an hour (wages only; a loaded cost is higher)"
)


class CostsSpec(BaseModel):
    """Prices in one currency. `seat_price_per_month` and `extra_credit_price` are merged over the list
    prices (LIST_PRICES, EXTRA_CREDIT_PRICES, as of PRICES_AS_OF); recruiters' time counts only when
    `recruiter_hourly_cost` is given."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    currency: str = Field("USD", description="currency of every price (the list prices are in USD)")
    seat_price_per_month: dict[str, Money] = Field(
        default_factory=dict,
        description="plan -> price per seat per month, over the list prices (e.g. {recruiter: 700})",
    )
    extra_credit_price: dict[str, Money] = Field(
        default_factory=dict,
        description="plan -> price of one extra InMail credit, where the plan sells them; credits above the "
        "preset's monthly grant (rules.overrides.plans.PLAN.monthly_credits) are charged at it",
    )
    recruiter_hourly_cost: Money | None = Field(
        None, description="a recruiter's cost per hour; when given, writing messages counts in the total cost"
    )
    minutes_per_personalised_message: Annotated[float, Field(ge=0, le=600)] = Field(
        5.0, description="minutes to write a message for one candidate (an assumption)"
    )
    minutes_per_bulk_message: Annotated[float, Field(ge=0, le=600)] = Field(
        0.5, description="minutes per templated message (an assumption)"
    )

    def seat_price(self, plan: str) -> float:
        """Price per seat per month of `plan`: the scenario's, else the list price; unknown plans cost 0
        only when the scenario says so, so a plan without a price is an error at the caller."""
        if plan in self.seat_price_per_month:
            return float(self.seat_price_per_month[plan])
        if plan in LIST_PRICES:
            return LIST_PRICES[plan][0]
        raise KeyError(plan)

    def credit_price(self, plan: str) -> float | None:
        """Price of one extra credit of `plan`, or None where the plan sells none."""
        if plan in self.extra_credit_price:
            return float(self.extra_credit_price[plan])
        known = EXTRA_CREDIT_PRICES.get(plan)
        return None if known is None else known[0]


def price_sources() -> list[tuple[str, float, str]]:
    """(plan, list price per seat per month, source) for the report's assumptions table."""
    return [(plan, price, source) for plan, (price, source) in LIST_PRICES.items()]
