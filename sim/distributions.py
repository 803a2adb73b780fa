"""Random inputs, written one way everywhere: `{dist: exponential, mean_days: 2}` and friends.

Each spec samples day-valued delays from a numpy Generator and knows its CDF, so analytic tests can
state what a simulation must reproduce.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import stats


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        raise NotImplementedError

    def cdf(self, days: float) -> float:
        """P(delay <= days)."""
        raise NotImplementedError

    def mean(self) -> float:
        raise NotImplementedError


class Exponential(_Dist):
    dist: Literal["exponential"]
    mean_days: float = Field(gt=0, description="mean delay in days")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_days, size)

    def cdf(self, days: float) -> float:
        return 0.0 if days < 0 else 1.0 - math.exp(-days / self.mean_days)

    def mean(self) -> float:
        return self.mean_days


class LogNormal(_Dist):
    dist: Literal["lognormal"]
    median_days: float = Field(gt=0, description="median delay in days")
    sigma: float = Field(gt=0, description="standard deviation of the log of the delay")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(math.log(self.median_days), self.sigma, size)

    def cdf(self, days: float) -> float:
        return float(stats.lognorm.cdf(days, self.sigma, scale=self.median_days))

    def mean(self) -> float:
        return self.median_days * math.exp(self.sigma**2 / 2)


class Gamma(_Dist):
    dist: Literal["gamma"]
    shape: float = Field(gt=0, description="shape k")
    mean_days: float = Field(gt=0, description="mean delay in days (scale = mean / shape)")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape, self.mean_days / self.shape, size)

    def cdf(self, days: float) -> float:
        return float(stats.gamma.cdf(days, self.shape, scale=self.mean_days / self.shape))

    def mean(self) -> float:
        return self.mean_days


class Fixed(_Dist):
    dist: Literal["fixed"]
    days: float = Field(ge=0, description="the delay in days")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.days)

    def cdf(self, days: float) -> float:
        return 1.0 if days >= self.days else 0.0

    def mean(self) -> float:
        return self.days


class Uniform(_Dist):
    dist: Literal["uniform"]
    low_days: float = Field(ge=0, description="shortest delay in days")
    high_days: float = Field(gt=0, description="longest delay in days")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high_days <= self.low_days:
            raise ValueError("high_days must be greater than low_days")
        return self

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low_days, self.high_days, size)

    def cdf(self, days: float) -> float:
        return min(1.0, max(0.0, (days - self.low_days) / (self.high_days - self.low_days)))

    def mean(self) -> float:
        return (self.low_days + self.high_days) / 2


class Empirical(_Dist):
    dist: Literal["empirical"]
    values: list[Annotated[float, Field(ge=0)]] = Field(min_length=1, description="observed delays in days")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size)

    def cdf(self, days: float) -> float:
        return sum(v <= days for v in self.values) / len(self.values)

    def mean(self) -> float:
        return sum(self.values) / len(self.values)


Delay = Annotated[Exponential | LogNormal | Gamma | Fixed | Uniform | Empirical, Field(discriminator="dist")]
