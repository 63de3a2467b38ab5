"""A plan flown in real time, step by step: what the app runs when one command yields 2-4 calls.

`simulator.core.run_plan` runs a whole plan at once (the evaluation's way). The app flies in real
time, so a `Mission` holds the plan between frames: step 1 starts at once, and each later step
starts when the drone is idle again (every motion flown to completion, as `run_plan` does). A
denied or failed step stops the mission and every later step is skipped with the reason; the user
may cancel the steps not yet started. No pygame here: the app, the renderer and the tests share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from copilot import ToolCall
from simulator.core import Ack, DroneState, World, check_plan, execute, skipped_after

CANCELLED = "cancelled"  # the reason a step cancelled by the user is skipped


def split_plan(text: str) -> list[str]:
    """A typed line cut at every `;` outside brackets and quotes: one string per call.

    >>> split_plan('takeoff_drone(altitude=30); control_camera(mode="photo")')
    ['takeoff_drone(altitude=30)', 'control_camera(mode="photo")']
    """
    parts: list[str] = []
    depth, quote, start = 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch == ";" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def steps(n: int) -> str:
    return f"{n} step" if n == 1 else f"{n} steps"


def plan_problem(acks: Sequence[Ack]) -> str:
    """One line saying why `check_plan` refused a plan, from the acks it gave back."""
    failed = [(i, a) for i, a in enumerate(acks, start=1) if a.status == "failed"]
    if not failed:
        return "nothing to run"
    number, ack = failed[0]
    if all(a.status == "failed" and a.reason == ack.reason for a in acks):
        return ack.reason  # the plan's shape (too long, a refusal beside other calls)
    return f"step {number} is invalid ({ack.reason}): nothing was run"


@dataclass
class Mission:
    """One validated plan, its acks as they arrive, and which step is flying now.

    `acks[i]` is None until step i+1 starts. `active` is the index of the accepted step still
    flying (or recording), None between steps and once the mission is over.
    """

    calls: tuple[ToolCall, ...]
    command: str = ""  # the user's words, when a model wrote the plan
    conversation: Any = None  # the model conversation that gets this turn once every ack is known
    acks: list[Ack | None] = field(init=False)
    labels: tuple[str, ...] = field(init=False)  # each step as text, drawn every frame: built once
    active: int | None = None
    cancelled: bool = False

    def __post_init__(self) -> None:
        self.acks = [None] * len(self.calls)
        self.labels = tuple(str(call) for call in self.calls)

    @classmethod
    def checked(cls, calls: Sequence[Any], **fields: Any) -> Mission | str:
        """A mission for a plan that passes `check_plan`, or one line saying why nothing runs."""
        checked = check_plan(calls)
        if not checked or isinstance(checked[0], Ack):
            return plan_problem(checked)  # type: ignore[arg-type]
        return cls(tuple(checked), **fields)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ progress
    @property
    def next_step(self) -> int:
        """Index of the first step that has not started (len(calls) when all have)."""
        return next((i for i, a in enumerate(self.acks) if a is None), len(self.acks))

    @property
    def pending(self) -> bool:
        """Steps still to start: new commands wait, and the cancel key has work to do."""
        return self.next_step < len(self.calls)

    @property
    def flying(self) -> bool:
        """Steps to start, or the last started step still flying: the checklist is live."""
        return self.pending or self.active is not None

    @property
    def stopped_at(self) -> int | None:
        """Index of the denied or failed step that stopped the mission, if one did."""
        return next(
            (i for i, a in enumerate(self.acks) if a and a.status in ("denied", "failed")), None
        )

    def summary(self) -> str:
        """One line for the checklist's foot: progress, or how the mission ended."""
        n = len(self.calls)
        if self.active is not None:
            return f"step {self.active + 1} of {n} running"
        stop = self.stopped_at
        if stop is not None:
            return f"stopped at step {stop + 1}: {self.acks[stop]}"
        if self.cancelled:
            skipped = sum(1 for a in self.acks if a and a.reason == CANCELLED)
            return f"cancelled: {steps(skipped)} skipped"
        if self.pending:
            return f"step {self.next_step + 1} of {n} next"
        return f"done: {n} of {n} accepted"

    # ------------------------------------------------------------------ running
    def step(self, state: DroneState, world: World) -> tuple[DroneState, list[tuple[int, Ack]]]:
        """Start the next step if it may start now; returns the new state and the new acks, as
        (index, ack) pairs: none, the started step's, or that and the skipped steps after it.

        A step may start once the one before it is flown: the drone idle (or crashed, where
        `run_until_idle` stops too). Call again while it returns acks: a step with nothing to fly
        (a photo, a setting) is done at once, so the next one may start in the same frame.
        """
        if self.active is not None:
            if not (state.idle or state.crashed):
                return state, []
            self.active = None
        if not self.pending:
            return state, []
        i = self.next_step
        state, ack = execute(state, self.calls[i], world)
        self.acks[i] = ack
        news = [(i, ack)]
        if not ack.ok:
            news += self._skip_rest(skipped_after(i + 1, ack).reason)
        elif not (state.idle or state.crashed):
            self.active = i
        return state, news

    def cancel(self) -> list[tuple[int, Ack]]:
        """Skip every step not yet started ("skipped: cancelled"); a step in flight flies on."""
        if not self.pending:
            return []
        self.cancelled = True
        return self._skip_rest(CANCELLED)

    def _skip_rest(self, reason: str) -> list[tuple[int, Ack]]:
        skipped = []
        for i in range(self.next_step, len(self.calls)):
            self.acks[i] = Ack("skipped", reason)
            skipped.append((i, self.acks[i]))
        return skipped
