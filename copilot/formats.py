"""Prompt and answer formats for the local model, shared by the backend and the trainer.

The trainer and the `local-ft` backend must render exactly the same text, so both import it from
here. The fine-tuned format is compact: Gemma's turn markers, no system prompt and no tool list
(the catalogue lives in the adapter's weights, as the cookbook suggests for fine-tuned models),
and calls written as `name(key=value)` rather than JSON, which costs far fewer tokens to decode.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from copilot.catalog import ToolCall, validate_call

START, END = "<start_of_turn>", "<end_of_turn>"
PROMPT_FILE = "adapter_prompt.json"  # beside an adapter's weights: how its prompts are rendered


def render_calls(calls: list[ToolCall], written: list[dict[str, str]] | None = None) -> str:
    """Calls in the compact syntax, one per line: `takeoff_drone(altitude=50)`.

    `written` gives, per call, arguments to write as an operation instead of their value
    (`{"duration": "10*60"}`); the parser evaluates it back (see `finetune.targets`).
    """
    lines = []
    for call, texts in zip(calls, written or [{}] * len(calls), strict=True):
        args = ", ".join(f"{k}={texts.get(k) or json.dumps(v)}" for k, v in call.arguments.items())
        lines.append(f"{call.name}({args})")
    return "\n".join(lines)


def calls_from_message(message: dict[str, Any]) -> list[ToolCall]:
    """The validated calls of an assistant message in OpenAI form (invalid ones are dropped)."""
    calls = []
    for item in message.get("tool_calls") or []:
        fn = item.get("function", {})
        checked = validate_call(fn.get("name", ""), fn.get("arguments") or "{}")
        if isinstance(checked, ToolCall):
            calls.append(checked)
    return calls


def _turns(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(role, text) of the user and assistant turns; assistant calls in the compact syntax."""
    turns = []
    for message in messages:
        role = message.get("role")
        if role == "user":
            turns.append(("user", str(message.get("content") or "")))
        elif role == "assistant":
            text = render_calls(calls_from_message(message)) or (message.get("content") or "")
            turns.append(("assistant", text))
    return turns


def render_ft_prompt(messages: list[dict[str, Any]], state: str = "") -> str:
    """The text the fine-tuned model reads, ending where its answer starts.

    System messages are dropped; earlier user turns and assistant calls are kept so multi-turn
    context ("now go higher") still reaches the model. `state`, a line such as
    `copilot.state_line` writes, opens the last user turn, for an adapter trained with it.
    """
    turns = _turns(messages)
    users = [i for i, (role, _) in enumerate(turns) if role == "user"]
    if state and users:
        turns[users[-1]] = ("user", f"{state}\n{turns[users[-1]][1]}")
    parts = [
        f"{START}{'user' if role == 'user' else 'model'}\n{text}{END}\n" for role, text in turns
    ]
    parts.append(f"{START}model\n")
    return "".join(parts)


def prompt_options(adapter: Path | None) -> dict[str, Any]:
    """How an adapter's prompts are rendered, from the `PROMPT_FILE` its trainer wrote beside it:
    `{"state_line": bool}`. An adapter without the file (and the base model) reads none."""
    options: dict[str, Any] = {"state_line": False}
    path = adapter / PROMPT_FILE if adapter is not None else None
    if path is not None and path.is_file():
        options.update(json.loads(path.read_text()))
    return options


def render_ft_target(calls: list[ToolCall], written: list[dict[str, str]] | None = None) -> str:
    """The answer the fine-tuned model is trained to write after `render_ft_prompt`."""
    return render_calls(calls, written) + END


def openai_arguments(call: ToolCall) -> str:
    """Arguments as the JSON string the OpenAI format carries."""
    return json.dumps(call.arguments)


# --------------------------------------------------------------------------- base model prompt

# Few-shot examples for the bare base model. They are written for this prompt only and differ from
# every evaluation suite prompt (suites are test data).
BASE_EXAMPLES: list[tuple[str, str]] = [
    ("Climb to 30 metres and hover", "takeoff_drone(altitude=30)"),
    ("fly left 25 m", 'control_drone_movement(direction="left", distance=25)'),
    ("Record a clip of 45 seconds", 'control_camera(mode="video", duration=45)'),
    ("Make the LEDs pulse blue", 'configure_led_display(pattern="pulse", color="blue")'),
    ("Switch off follow me", 'set_follow_me_mode(status="off")'),
    ("Come back to where you started", "return_to_home()"),
    ("Order me a pizza", "reject_request()"),
    ("Point the camera straight down", "control_gimbal(tilt=-90, pan=0)"),
]


def _signature(name: str) -> str:
    """`name(key: type, ...)  # description` for the base prompt, from the catalogue schema."""
    from copilot.catalog import FUNCTIONS, parameters_schema

    params = []
    for key, spec in parameters_schema(name).get("properties", {}).items():
        if "enum" in spec:
            kind = "|".join(json.dumps(v) for v in spec["enum"])
        elif "minimum" in spec:
            kind = f"{spec['type']} {spec['minimum']}..{spec['maximum']}"
        elif "properties" in spec:
            kind = "{" + ", ".join(f'"{k}": float' for k in spec["properties"]) + "}"
        else:
            kind = spec.get("type", "object")
        params.append(f"{key}: {kind}")
    doc = (FUNCTIONS[name].__doc__ or "").strip()
    return f"{name}({', '.join(params)})  # {doc}"


def base_prompt_prefix(system: str | None = None) -> str:
    """The fixed head of the base prompt: instructions, the catalogue, the examples.

    It never changes between requests, so the backend computes its KV cache once.
    """
    from copilot.catalog import FUNCTION_NAMES
    from copilot.prompts import DEFAULT_SYSTEM_PROMPT

    lines = [system or DEFAULT_SYSTEM_PROMPT, "", "Functions:"]
    lines += [_signature(name) for name in FUNCTION_NAMES]
    lines.append("")
    for command, call in BASE_EXAMPLES:
        lines += [f"Command: {command}", f"Call: {call}", ""]
    return "\n".join(lines)


def render_base_prompt(messages: list[dict[str, Any]]) -> str:
    """The few-shot text prompt for the base model; earlier turns become earlier examples."""
    system = next((m.get("content") for m in messages if m.get("role") == "system"), None)
    parts = []
    for role, text in _turns(messages):
        parts.append(f"Command: {text}\nCall:" if role == "user" else f" {text}\n\n")
    if not parts or not parts[-1].endswith("Call:"):
        parts.append("Command: \nCall:")
    return base_prompt_prefix(system) + "\n" + "".join(parts)
