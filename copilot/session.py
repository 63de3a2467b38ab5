"""`Copilot`: a conversation with a model whose tool calls fly a headless simulated drone.

    copilot = Copilot("local-ft", sim=DroneSim())   # any simulator that fits `Simulator`
    turn = copilot.send("take off to 20 metres")
    turn.calls, turn.acks   # [takeoff_drone(altitude=20)], [accepted]

History is kept by default, so "now go higher" reaches the model with the earlier turns; each
executed call is answered in the history with a `tool` message carrying its ack, as the OpenAI
API expects. `reset()` clears the history (and, with `drone=True`, the drone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from copilot.backends.base import Backend, Completion
from copilot.backends.local import MAX_PROMPT_CHARS
from copilot.catalog import ToolCall, tools
from copilot.prompts import DEFAULT_SYSTEM_PROMPT


class Simulator(Protocol):
    """What a `Copilot` needs of a drone: `simulator.core.DroneSim` fits it.

    The copilot package is the ground floor and imports no simulator; whoever builds a `Copilot`
    hands it one.
    """

    def step(self, call: ToolCall) -> tuple[dict[str, Any], Any, bool, dict[str, Any]]: ...

    def reset(self, seed: int | None = None) -> Any: ...

    def run_until_idle(self) -> dict[str, Any]: ...

    def run_plan(self, calls: list[ToolCall]) -> list[Any]: ...

    def observation(self) -> dict[str, Any]: ...


@dataclass
class Turn:
    """One command: what the model answered, and what the drone made of each call."""

    command: str
    completion: Completion
    acks: list[Any] = field(default_factory=list)  # simulator Acks, one per call
    notes: list[str] = field(default_factory=list)  # what the drone raised on its own

    @property
    def calls(self) -> list[ToolCall]:
        return self.completion.calls

    @property
    def error(self) -> str | None:
        return self.completion.error


class Copilot:
    """Sends commands to a backend and executes the calls on a `Simulator`.

    With `sim=None` the copilot keeps the conversation only and executes nothing (the app flies
    its own drone and reports the acks itself).
    """

    def __init__(
        self,
        backend: Backend | str = "local-ft",
        *,
        sim: Simulator | None = None,
        keep_history: bool = True,
        max_history_turns: int = 6,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        fly: bool = True,
    ) -> None:
        if isinstance(backend, str):
            from copilot.backends.registry import get_backend

            backend = get_backend(backend)
        self.backend = backend
        self.sim = sim
        self.keep_history = keep_history
        self.max_history_turns = max_history_turns
        self.system_prompt = system_prompt
        self.fly = fly
        self.history: list[list[dict[str, Any]]] = []  # messages, grouped by turn

    def messages_for(self, command: str) -> list[dict[str, Any]]:
        """The messages a command is sent with: system prompt, recent history, the command."""
        past = [m for turn in self.history[-self.max_history_turns :] for m in turn]
        return [
            {"role": "system", "content": self.system_prompt},
            *past,
            {"role": "user", "content": command},
        ]

    def send(self, command: str) -> Turn:
        """Ask the model, run its calls on the drone, remember the turn. Never raises."""
        command = (command or "").strip()
        if not command:
            return Turn(command, Completion(error="empty command: type what the drone should do"))
        if len(command) > MAX_PROMPT_CHARS:  # a command is a sentence: nothing to send a model
            error = f"command too long: {len(command)} characters (at most {MAX_PROMPT_CHARS})"
            return Turn(command[:80], Completion(error=error))
        try:
            completion = self.backend.complete(self.messages_for(command), tools())
        except Exception as exc:  # a backend must not raise; if one does, say so, keep going
            completion = Completion(error=f"{type(exc).__name__}: {exc}"[:300])
        turn = Turn(command, completion)
        if self.sim is not None and completion.calls:
            if self.fly:  # each step flown to completion; after a denied step the rest skip
                turn.acks = list(self.sim.run_plan(completion.calls))
            else:
                turn.acks = [self.sim.step(call)[1] for call in completion.calls]
        turn.notes = list(self.sim.take_notes()) if hasattr(self.sim, "take_notes") else []
        if self.keep_history and completion.calls:
            self.history.append(turn_messages(command, completion.calls, turn.acks))
        return turn

    def reset(self, drone: bool = False) -> None:
        """Forget the conversation; with `drone=True` also put the drone back on its pad."""
        self.history.clear()
        if drone and self.sim is not None:
            self.sim.reset()

    @property
    def state(self) -> dict[str, Any]:
        """The drone's observation (position, battery, flags...); empty without a simulator."""
        return self.sim.observation() if self.sim is not None else {}


def turn_messages(command: str, calls: list[ToolCall], acks: list[Any]) -> list[dict[str, Any]]:
    """One exchange as chat messages (user, assistant calls, tool acks): the history format."""
    tool_calls = [call.to_openai(f"call_{i}") for i, call in enumerate(calls)]
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": command},
        {"role": "assistant", "content": None, "tool_calls": tool_calls},
    ]
    for tool_call, ack in zip(tool_calls, acks, strict=False):
        messages.append({"role": "tool", "tool_call_id": tool_call["id"], "content": str(ack)})
    return messages
