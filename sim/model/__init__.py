"""The SimPy model of InMail outreach; `ENGINES` maps a scenario's `engine` to the class that runs one
replication (constructed as `Engine(scenario, replication, seed)`, with `.run() -> ReplicationOutput`)."""

from __future__ import annotations

from typing import Any

from .fast import FastOutreach
from .world import Outreach

ENGINES: dict[str, Any] = {"reference": Outreach, "fast": FastOutreach}
