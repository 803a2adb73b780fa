"""The segmented model contacts the best-fitting candidates first (`Population.prioritise`): `by_score` must give
exactly the stable descending order, ties in their original order, whatever the sort underneath does."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.candidates import by_score


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.0, -0.0, 0.1, 0.25, 0.5, 1.0, 0.3333333333333333]), max_size=300))
def test_by_score_is_the_stable_descending_argsort_with_many_ties(values: list[float]) -> None:
    score = np.asarray(values, dtype=float)
    np.testing.assert_array_equal(by_score(score), np.argsort(-score, kind="stable"))


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 5000))
def test_by_score_is_the_stable_descending_argsort_of_continuous_scores(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    score = rng.beta(2.0, 5.0, n)
    score[rng.integers(0, max(n, 1), n // 10)] = 0.5  # some ties among continuous draws
    np.testing.assert_array_equal(by_score(score), np.argsort(-score, kind="stable"))
