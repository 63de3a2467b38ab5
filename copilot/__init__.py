"""The copilot: the tool catalogue, the parser, the backends and the conversation.

This module is the package's public surface: the simulator, the evaluation, the fine-tuning and
the bench import copilot names from here only. Names whose modules pull in heavy libraries
(torch, the `openai` client) load on first use, so `import copilot` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from copilot.backends.base import Backend, Completion, ModelUnavailable
from copilot.backends.local import MAX_PROMPT_CHARS, LocalBackend
from copilot.backends.registry import (
    ADAPTER_DIR,
    ModelInfo,
    UnknownModel,
    get_backend,
    list_models,
)
from copilot.backends.replay import ReplayBackend
from copilot.backends.wire import (
    DEFAULT_SETTINGS,
    chat_params,
    completion_body,
    completion_from_body,
    identity_of,
    max_calls_of,
)
from copilot.catalog import (
    FUNCTION_NAMES,
    FUNCTIONS,
    MAX_PLAN,
    REJECT,
    CallError,
    ToolCall,
    parameters_schema,
    plan_error,
    tools,
    validate_call,
)
from copilot.drone_state import state_line
from copilot.formats import (
    PROMPT_FILE,
    calls_from_message,
    prompt_options,
    render_ft_prompt,
    render_ft_target,
)
from copilot.parsing import ParsedOutput, RawCall, parse_output
from copilot.prompts import DEFAULT_SYSTEM_PROMPT, SEED_SYSTEM_PROMPT
from copilot.redaction import redact, redact_optional, remember
from copilot.session import Copilot, Simulator, Turn, turn_messages

# name -> module, imported on first use (PEP 562)
_LAZY = {
    "OpenAIBackend": "copilot.backends.openai_compat",
    "ENUM_MISS_MARGIN": "copilot.decoding.decoder",
    "grammar_vocabulary": "copilot.decoding.decoder",
    "base_gguf": "copilot.backends.local_model",
    "base_model_dir": "copilot.backends.local_model",
    "resolve_base": "copilot.backends.local_model",
    "quiet_libraries": "copilot.backends.local_model",
}

__all__ = [
    "ADAPTER_DIR",
    "DEFAULT_SETTINGS",
    "DEFAULT_SYSTEM_PROMPT",
    "ENUM_MISS_MARGIN",
    "FUNCTIONS",
    "FUNCTION_NAMES",
    "MAX_PLAN",
    "MAX_PROMPT_CHARS",
    "PROMPT_FILE",
    "REJECT",
    "SEED_SYSTEM_PROMPT",
    "Backend",
    "CallError",
    "Completion",
    "Copilot",
    "LocalBackend",
    "ModelInfo",
    "ModelUnavailable",
    "OpenAIBackend",
    "ParsedOutput",
    "RawCall",
    "ReplayBackend",
    "Simulator",
    "ToolCall",
    "Turn",
    "UnknownModel",
    "base_gguf",
    "base_model_dir",
    "calls_from_message",
    "chat_params",
    "completion_body",
    "completion_from_body",
    "get_backend",
    "grammar_vocabulary",
    "identity_of",
    "list_models",
    "max_calls_of",
    "parameters_schema",
    "parse_output",
    "plan_error",
    "prompt_options",
    "quiet_libraries",
    "redact",
    "redact_optional",
    "remember",
    "render_ft_prompt",
    "render_ft_target",
    "resolve_base",
    "state_line",
    "tools",
    "turn_messages",
    "validate_call",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'copilot' has no attribute {name!r}")
