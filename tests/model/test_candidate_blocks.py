"""Candidates drawn in blocks as the run reaches them: the same values whatever the block size, a window held
in memory, and released positions never handed out again."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.config.scenario import CandidatesSpec, SimpleBehaviour
from sim.model.behaviour import SimpleSampler
from sim.model.candidates import Population
from sim.model.drawn import BLOCK, Drawn
from sim.model.fast import FastOutreach
from sim.model.streams import Streams

DELAYS = [
    {"dist": "exponential", "mean_days": 2},
    {"dist": "lognormal", "median_days": 1, "sigma": 1},
    {"dist": "gamma", "shape": 0.7, "mean_days": 3},
    {"dist": "fixed", "days": 1},
    {"dist": "uniform", "low_days": 0.5, "high_days": 3},
    {"dist": "empirical", "values": [0.5, 1, 4, 9]},
]


def _columns(block: int, delay: dict[str, object], reads: list[int]) -> dict[str, np.ndarray]:
    """Every candidate column of a pool with this block size, read in increasing slices ending at `reads`."""
    spec = CandidatesSpec(population=5000, known_email_share=0.4)
    streams = Streams(7, 2)
    pop = Population(spec, streams, block=block)
    behaviour = SimpleBehaviour(model="simple", read_delay=delay, reply_delay=delay, quick_reply_share=0.1)
    sampler = SimpleSampler(behaviour, _rules(), pop, streams)
    named = {"degree": pop.degree, "open_profile": pop.open_profile, "known_email": pop.known_email,
             "read_delay": sampler.read_delay, "u_response": sampler.u_response, "reply_delay": sampler.reply_delay,
             "accepts": sampler.accepts, "quick": sampler.quick}  # fmt: skip
    out: dict[str, list[np.ndarray]] = {k: [] for k in named}
    start = 0
    for end in reads:
        for k, column in named.items():
            out[k].append(column[start:end])
        start = end
    return {k: np.concatenate(v) for k, v in out.items()}


def _rules() -> sim.Rules:
    return sim.load_scenario({"name": "x", "accounts": [{"plan": "recruiter", "seats": 1}]}).resolved_rules()


@pytest.mark.parametrize("delay", DELAYS, ids=[str(d["dist"]) for d in DELAYS])
def test_a_candidate_gets_the_same_draws_whatever_the_block_size(delay: dict[str, object]) -> None:
    """Each column has a stream of its own, drawn in position order: blocks of 7 or of 65,536, read in any
    slices, give every candidate the same values."""
    whole = _columns(BLOCK, delay, [5000])
    pieces = _columns(7, delay, [3, 4, 100, 101, 2500, 4999, 5000])
    for name, values in whole.items():
        np.testing.assert_array_equal(pieces[name], values, err_msg=name)


def test_released_positions_are_freed_and_never_handed_out() -> None:
    column = Drawn(np.random.default_rng(1).random, size=100, block=10)
    assert column[25] == column.at(25) and column.held == 30
    column.release(27)  # whole blocks only: 0-19 go, 20-29 stay
    assert column.held == 10 and column[20:30].shape == (10,)
    with pytest.raises(IndexError, match="released"):
        column[19]
    with pytest.raises(IndexError, match="past the pool"):
        column[100]


def test_a_run_holds_a_window_of_the_pool_not_the_whole_of_it() -> None:
    """Four months of sends from a pool of a million: at the end each column holds at most the blocks of the days
    not yet passed by every channel, not the pool."""
    data = {
        "name": "window",
        "horizon_days": 120,
        "accounts": [{"plan": "recruiter", "seats": 80}],
        "team": [{"count": 80, "daily_target": 50}, {"count": 20, "daily_target": 50, "channel": "email"}],
        "candidates": {"population": 1_000_000, "known_email_share": 0.5},
        "rules": {"preset": "seed", "overrides": {"plans.recruiter.monthly_credits": 100_000}},
    }
    model = FastOutreach(sim.load_scenario(data), 0)
    model.run()
    pop = model.population
    assert min(pop._cursor.values()) > 2 * BLOCK  # the run went well past the first blocks
    for column in pop._columns:
        assert column.held <= 3 * BLOCK, column.held


@pytest.mark.parametrize("team", [("inmail",), ("email",), ("email", "inmail")])
def test_releasing_behind_the_cursors_never_changes_who_is_contacted(team: tuple[str, ...]) -> None:
    """Days of sends on the team's channels (`assign` for runs of both, `peek` and `take` one at a time), the
    pool released at each day's end in blocks of 8, give the candidates a pool that keeps everything gives;
    a channel nobody sends on never reads a released block."""
    rng = np.random.default_rng(5)
    spec = CandidatesSpec(population=3000, known_email_share=0.35)
    kept = Population(spec, Streams(2, 0), channels=team)
    freed = Population(spec, Streams(2, 0), channels=team, block=8)
    for _day in range(40):
        email = rng.random(int(rng.integers(0, 30))) < (0.5 if len(team) == 2 else float(team == ("email",)))
        by_runs = rng.random() < 0.5
        for pop in (kept, freed):
            if by_runs:
                positions = pop.assign(email, 0)
                assert positions is not None
                pop.commit(positions)
            else:
                for is_email in email.tolist():
                    c = pop.peek("email" if is_email else "inmail", 0)
                    assert c is not None
                    pop.take(c)
        freed.release()
        assert freed.peek("inmail", 0) == kept.peek("inmail", 0) or "inmail" not in team
        assert freed.peek("email", 0) == kept.peek("email", 0) or "email" not in team
    lowest = min(freed._cursor[c] for c in team)
    assert lowest > 100 and all(column.held < 3000 for column in freed._columns)
    np.testing.assert_array_equal(freed.contacted[lowest:], kept.contacted[lowest:])


def test_a_team_all_on_email_runs_past_the_first_blocks() -> None:
    """The bug: a team with no InMail sender left the InMail cursor at 0, and the pool, released behind the
    email cursor, was then read from position 0."""
    data = {
        "name": "mailers",
        "horizon_days": 120,
        "accounts": [{"plan": "recruiter", "seats": 1}],
        "team": [{"count": 20, "daily_target": 50, "channel": "email"}],
        "candidates": {"population": 1_000_000, "known_email_share": 0.5},
    }
    model = FastOutreach(sim.load_scenario(data), 0)
    out = model.run()
    assert len(out.messages) == 20 * 50 * sum(1 for d in range(120) if model.weekdays[d] < 5)
    assert model.population._cursor["email"] > 2 * BLOCK
