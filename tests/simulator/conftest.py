"""One reusable test world and small helpers for flying calls through the core."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.core import Ack, DroneState, World, execute, run_until_idle, start_state

WORLD = World()


def _fly(state: DroneState, *calls: Any) -> tuple[DroneState, list[Ack]]:
    """Apply calls one by one, flying each to completion; return the final state and the acks."""
    acks = []
    for c in calls:
        state, ack = execute(state, c, WORLD)
        acks.append(ack)
        state = run_until_idle(state, WORLD)
    return state, acks


@pytest.fixture
def fly():
    """fly(state, "takeoff_drone(altitude=30)", ...) -> (final state, acks), each call flown out."""
    return _fly


@pytest.fixture
def world() -> World:
    return WORLD


@pytest.fixture
def ground() -> DroneState:
    return start_state(WORLD, airborne=False)


@pytest.fixture
def air() -> DroneState:
    return start_state(WORLD, airborne=True, altitude=30)
