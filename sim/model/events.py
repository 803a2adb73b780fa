"""SimPy helpers shared by the engines."""

from __future__ import annotations

import simpy
from simpy.events import URGENT


def urgent(env: simpy.Environment, delay: float) -> simpy.Event:
    """An event that fires before every ordinary event due at the same instant (the daily clock)."""
    event = simpy.Event(env)
    event._ok = True
    event._value = None
    env.schedule(event, URGENT, delay)
    return event
