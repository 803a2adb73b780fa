"""Random inputs, written one way everywhere: `{dist: exponential, mean_days: 2}` and friends.

Each spec samples day-valued delays from a numpy Generator and knows its CDF, so analytic tests can
state what a simulation must reproduce. numpy and scipy are imported when a sample or a gamma CDF is
first needed, so reading and checking a scenario (`inmail-sim validate`) stays quick.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ..rules.presets import MAX_DAYS, Number

if TYPE_CHECKING:
    import numpy as np


Loc = tuple[str | int, ...]


class FieldIssues(ValueError):
    """Problems found by a check across fields, each at a path relative to the model that ran the check, so
    error messages can name the field to change (`behaviour.read_delay.high_days`), not the whole section."""

    def __init__(self, issues: list[tuple[Loc, str]]) -> None:
        self.issues = issues
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {msg}" if loc else msg for loc, msg in issues))


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        raise NotImplementedError

    def cdf(self, days: float) -> float:
        """P(delay <= days)."""
        raise NotImplementedError

    def mean(self) -> float:
        raise NotImplementedError


class Exponential(_Dist):
    """Memoryless delay: `{dist: exponential, mean_days: 2}`."""

    dist: Literal["exponential"]
    mean_days: Number = Field(gt=0, le=MAX_DAYS, description="mean delay in days")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_days, size)

    def cdf(self, days: float) -> float:
        return 0.0 if days < 0 else 1.0 - math.exp(-days / self.mean_days)

    def mean(self) -> float:
        return self.mean_days


class LogNormal(_Dist):
    """Skewed delay, most soon and a few very late: `{dist: lognormal, median_days: 1, sigma: 1}`."""

    dist: Literal["lognormal"]
    median_days: Number = Field(gt=0, le=MAX_DAYS, description="median delay in days")
    sigma: Number = Field(gt=0, le=10, description="standard deviation of the log of the delay")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(math.log(self.median_days), self.sigma, size)

    def cdf(self, days: float) -> float:
        if days <= 0:
            return 0.0
        z = (math.log(days) - math.log(self.median_days)) / self.sigma
        return 0.5 * math.erfc(-z / math.sqrt(2))

    def mean(self) -> float:
        return self.median_days * math.exp(self.sigma**2 / 2)


class Gamma(_Dist):
    """`{dist: gamma, shape: 2, mean_days: 3}`: shape 1 is the exponential; larger shapes bunch around the mean."""

    dist: Literal["gamma"]
    shape: Number = Field(gt=0, le=1e6, description="shape k")
    mean_days: Number = Field(gt=0, le=MAX_DAYS, description="mean delay in days (scale = mean / shape)")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape, self.mean_days / self.shape, size)

    def cdf(self, days: float) -> float:
        if days <= 0:
            return 0.0
        from scipy import special

        return float(special.gammainc(self.shape, days / (self.mean_days / self.shape)))

    def mean(self) -> float:
        return self.mean_days


class Fixed(_Dist):
    """Always the same delay: `{dist: fixed, days: 1}`."""

    dist: Literal["fixed"]
    days: Number = Field(ge=0, le=MAX_DAYS, description="the delay in days")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        import numpy as np

        return np.full(size, self.days)

    def cdf(self, days: float) -> float:
        return 1.0 if days >= self.days else 0.0

    def mean(self) -> float:
        return self.days


class Uniform(_Dist):
    """Any delay between two bounds, equally likely: `{dist: uniform, low_days: 0.5, high_days: 3}`."""

    dist: Literal["uniform"]
    low_days: Number = Field(ge=0, le=MAX_DAYS, description="shortest delay in days")
    high_days: Number = Field(gt=0, le=MAX_DAYS, description="longest delay in days (more than low_days)")

    @field_validator("high_days")
    @classmethod
    def _ordered(cls, high: float, info: ValidationInfo) -> float:
        low = info.data.get("low_days")
        if low is not None and high <= low:
            raise ValueError(f"must be greater than low_days ({low:g}) (got {high:g})")
        return high

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low_days, self.high_days, size)

    def cdf(self, days: float) -> float:
        return min(1.0, max(0.0, (days - self.low_days) / (self.high_days - self.low_days)))

    def mean(self) -> float:
        return (self.low_days + self.high_days) / 2


class Empirical(_Dist):
    """Delays drawn from observed ones, each equally likely: `{dist: empirical, values: [0.5, 1, 4]}`."""

    dist: Literal["empirical"]
    values: list[Annotated[Number, Field(ge=0, le=MAX_DAYS)]] = Field(
        min_length=1, description="observed delays in days"
    )

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        import numpy as np

        return rng.choice(np.asarray(self.values, dtype=float), size)

    def cdf(self, days: float) -> float:
        return sum(v <= days for v in self.values) / len(self.values)

    def mean(self) -> float:
        return sum(self.values) / len(self.values)


Delay = Annotated[Exponential | LogNormal | Gamma | Fixed | Uniform | Empirical, Field(discriminator="dist")]

DISTRIBUTIONS: dict[str, type[_Dist]] = {
    cls.model_fields["dist"].annotation.__args__[0]: cls  # type: ignore[union-attr]
    for cls in (Exponential, LogNormal, Gamma, Fixed, Uniform, Empirical)
}


def parameters(name: str) -> list[str]:
    """The parameters distribution `name` takes, besides `dist`."""
    return [f for f in DISTRIBUTIONS[name].model_fields if f != "dist"]


def example(name: str) -> str:
    """How distribution `name` is written, e.g. `{dist: exponential, mean_days: 2}`."""
    doc = DISTRIBUTIONS[name].__doc__ or ""
    start = doc.find("`{")
    return doc[start + 1 : doc.find("}`", start) + 1] if start >= 0 else f"{{dist: {name}, ...}}"
