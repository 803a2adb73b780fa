"""The model layer: the SimPy engines of InMail outreach (the readable reference engine and the fast one),
the behaviour models and the shared types of a replication. `ENGINES` maps a scenario's `engine` to the
class that runs one replication (constructed as `Engine(scenario, replication, seed)`, with
`.run() -> ReplicationOutput`)."""

from __future__ import annotations

from typing import Any

from .fast import FastOutreach
from .reference import Outreach

ENGINES: dict[str, Any] = {"reference": Outreach, "fast": FastOutreach}
