"""Each client framework's way of asking our server, behind one `Probe` protocol.

`bench/bench_clients.py` runs the features on these; a probe imports its client only when built,
so the section runs with whichever clients are installed. Every probe offers the catalogue's
tools (`copilot.tools()`) and answers each tool call with "accepted".
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import operator
import os
import tempfile
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from copilot import tools

MODEL = "local-ft"
MAX_TURNS = 4  # an agent loop that has not ended with text by then never will
TIMEOUT_S = 60.0

Call = tuple[str, dict[str, Any]]


class Probe(Protocol):
    """One client's way of asking our server."""

    def ask(
        self, prompt: str, parts: bool = False, stream: bool = False, choice: str | None = None
    ) -> list[Call]:
        """The tool calls the answer to `prompt` holds, as the client reports them."""

    def loop(self, prompt: str, parallel: bool = True) -> tuple[list[Call], str]:
        """The client's own tool loop: the calls it ran and the text the turn ended with; with
        `parallel=False` it sends `parallel_tool_calls: false` (one call a turn)."""


def _user(prompt: str, parts: bool = False, kind: str = "text") -> dict[str, Any]:
    return {"role": "user", "content": [{"type": kind, "text": prompt}] if parts else prompt}


def _arguments(text: str | dict[str, Any]) -> dict[str, Any]:
    return json.loads(text) if isinstance(text, str) else dict(text)


class ChatCompletions:
    """The chat completions wire, as the `openai` client and litellm send it: `create` makes one
    request and `assemble` turns the client's stream of chunks into a message."""

    def __init__(self, create: Callable[..., Any], assemble: Callable[[Iterable[Any]], Any]):
        self.create, self.assemble = create, assemble

    def _message(
        self, messages: list[dict[str, Any]], stream: bool, choice: str | None, parallel: bool
    ) -> Any:
        kwargs: dict[str, Any] = {"messages": messages, "tools": tools()}
        if not parallel:
            kwargs["parallel_tool_calls"] = False
        if choice:
            kwargs["tool_choice"] = {"type": "function", "function": {"name": choice}}
        if stream:
            return self.assemble(self.create(stream=True, **kwargs))
        return self.create(**kwargs).choices[0].message

    def ask(
        self, prompt: str, parts: bool = False, stream: bool = False, choice: str | None = None
    ) -> list[Call]:
        message = self._message([_user(prompt, parts)], stream, choice, parallel=True)
        return [
            (c.function.name, _arguments(c.function.arguments)) for c in message.tool_calls or []
        ]

    def loop(self, prompt: str, parallel: bool = True) -> tuple[list[Call], str]:
        messages, ran = [_user(prompt)], []
        for _ in range(MAX_TURNS):
            message = self._message(messages, stream=False, choice=None, parallel=parallel)
            if not message.tool_calls:
                return ran, message.content or ""
            sent = [
                {"id": c.id, "type": "function", "function": c.function.model_dump()}
                for c in message.tool_calls
            ]
            messages.append({"role": "assistant", "content": message.content, "tool_calls": sent})
            for c in message.tool_calls:
                ran.append((c.function.name, _arguments(c.function.arguments)))
                messages.append({"role": "tool", "tool_call_id": c.id, "content": "accepted"})
        raise AssertionError(f"no text after {MAX_TURNS} turns")


def openai_chat(url: str) -> ChatCompletions:
    import openai
    from openai.lib.streaming.chat import ChatCompletionStreamState

    client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0, timeout=TIMEOUT_S)

    def assemble(chunks: Iterable[Any]) -> Any:
        state = ChatCompletionStreamState()
        for chunk in chunks:
            state.handle_chunk(chunk)
        return state.get_final_completion().choices[0].message

    return ChatCompletions(functools.partial(client.chat.completions.create, model=MODEL), assemble)


def litellm_chat(url: str) -> ChatCompletions:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch of the price list
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True  # else each failure prints a help banner
    create = functools.partial(
        litellm.completion,
        model=f"openai/{MODEL}",
        api_base=url,
        api_key="unused",
        timeout=TIMEOUT_S,
        num_retries=0,
    )
    return ChatCompletions(
        create, lambda chunks: litellm.stream_chunk_builder(list(chunks)).choices[0].message
    )


class Responses:
    """The Responses API (`POST /v1/responses`) through the `openai` client."""

    def __init__(self, url: str) -> None:
        import openai

        self.client = openai.OpenAI(
            base_url=url, api_key="unused", max_retries=0, timeout=TIMEOUT_S
        )
        self.tools = [{"type": "function", "strict": False, **t["function"]} for t in tools()]

    def _response(
        self, items: Any, stream: bool = False, choice: str | None = None, parallel: bool = True
    ) -> Any:
        kwargs: dict[str, Any] = {"model": MODEL, "input": items, "tools": self.tools}
        if not parallel:
            kwargs["parallel_tool_calls"] = False
        if choice:
            kwargs["tool_choice"] = {"type": "function", "name": choice}
        if not stream:
            return self.client.responses.create(**kwargs)
        with self.client.responses.stream(**kwargs) as events:
            return events.get_final_response()

    def ask(
        self, prompt: str, parts: bool = False, stream: bool = False, choice: str | None = None
    ) -> list[Call]:
        items = [_user(prompt, True, "input_text")] if parts else prompt
        response = self._response(items, stream, choice)
        return [
            (o.name, _arguments(o.arguments)) for o in response.output if o.type == "function_call"
        ]

    def loop(self, prompt: str, parallel: bool = True) -> tuple[list[Call], str]:
        items: list[Any] = [_user(prompt)]
        ran = []
        for _ in range(MAX_TURNS):
            response = self._response(items, parallel=parallel)
            calls = [o for o in response.output if o.type == "function_call"]
            if not calls:
                return ran, response.output_text
            items += response.output  # OpenAI's pattern: the output items go back as they came
            for c in calls:
                ran.append((c.name, _arguments(c.arguments)))
                done = {"call_id": c.call_id, "output": "accepted"}
                items.append({"type": "function_call_output", **done})
        raise AssertionError(f"no text after {MAX_TURNS} turns")


class LangChain:
    """langchain-openai's `ChatOpenAI` with the catalogue bound as tools, over chat completions
    or (`use_responses_api=True`) the Responses API."""

    def __init__(self, url: str, responses: bool = False) -> None:
        from langchain_openai import ChatOpenAI

        self.llm = ChatOpenAI(
            base_url=url,
            api_key="unused",
            model=MODEL,
            max_retries=0,
            timeout=TIMEOUT_S,
            use_responses_api=responses,
        )

    def ask(
        self, prompt: str, parts: bool = False, stream: bool = False, choice: str | None = None
    ) -> list[Call]:
        from langchain_core.messages import HumanMessage

        bound = self.llm.bind_tools(tools(), tool_choice=choice)
        messages = [HumanMessage(content=_user(prompt, parts)["content"])]
        if stream:  # the chunks add up to one message, tool call chunks joined by index
            message = functools.reduce(operator.add, bound.stream(messages))
        else:
            message = bound.invoke(messages)
        return [(c["name"], c["args"]) for c in message.tool_calls]

    def loop(self, prompt: str, parallel: bool = True) -> tuple[list[Call], str]:
        from langchain_core.messages import HumanMessage, ToolMessage

        one_a_turn = {} if parallel else {"parallel_tool_calls": False}
        bound, ran = self.llm.bind_tools(tools(), **one_a_turn), []
        messages: list[Any] = [HumanMessage(content=prompt)]
        for _ in range(MAX_TURNS):
            message = bound.invoke(messages)
            if not message.tool_calls:
                return ran, message.text
            messages.append(message)
            for c in message.tool_calls:
                ran.append((c["name"], c["args"]))
                messages.append(ToolMessage(content="accepted", tool_call_id=c["id"]))
        raise AssertionError(f"no text after {MAX_TURNS} turns")


class Agents:
    """The OpenAI Agents SDK: an `Agent` with the catalogue as function tools, run by `Runner`,
    over its chat completions model or its default, the Responses model."""

    def __init__(self, url: str, responses: bool) -> None:
        from agents import set_tracing_disabled

        set_tracing_disabled(True)  # the tracer would post to OpenAI
        logging.getLogger("openai.agents").setLevel(logging.CRITICAL)  # failures are the cells'
        self.url, self.responses = url, responses

    async def _run(
        self, items: Any, stream: bool, choice: str | None, stop: bool, parallel: bool = True
    ) -> Any:
        from agents import (
            Agent,
            FunctionTool,
            ModelSettings,
            OpenAIChatCompletionsModel,
            OpenAIResponsesModel,
            Runner,
        )
        from openai import AsyncOpenAI

        ran: list[Call] = []

        def function_tool(function: dict[str, Any]) -> FunctionTool:
            async def invoke(_: Any, arguments: str) -> str:
                ran.append((function["name"], _arguments(arguments)))
                return "accepted"

            return FunctionTool(
                function["name"],
                function["description"],
                function["parameters"],
                invoke,
                strict_json_schema=False,
            )

        # one client per event loop, closed in it: its connections belong to the loop
        async with AsyncOpenAI(
            base_url=self.url, api_key="unused", max_retries=0, timeout=TIMEOUT_S
        ) as client:
            model = (OpenAIResponsesModel if self.responses else OpenAIChatCompletionsModel)(
                model=MODEL, openai_client=client
            )
            agent = Agent(
                name="pilot",
                model=model,
                tools=[function_tool(t["function"]) for t in tools()],
                model_settings=ModelSettings(
                    tool_choice=choice, parallel_tool_calls=None if parallel else False
                ),
                tool_use_behavior="stop_on_first_tool" if stop else "run_llm_again",
            )
            if stream:
                result = Runner.run_streamed(agent, items, max_turns=MAX_TURNS)
                async for _ in result.stream_events():
                    pass
            else:
                result = await Runner.run(agent, items, max_turns=MAX_TURNS)
        return ran, str(result.final_output or "")

    def ask(
        self, prompt: str, parts: bool = False, stream: bool = False, choice: str | None = None
    ) -> list[Call]:
        items = [_user(prompt, True, "input_text")] if parts else prompt
        return asyncio.run(self._run(items, stream, choice, stop=True))[0]

    def loop(self, prompt: str, parallel: bool = True) -> tuple[list[Call], str]:
        return asyncio.run(self._run(prompt, False, None, stop=False, parallel=parallel))


class Inspect:
    """inspect_ai's `eval` of a one-sample Task, base URL and key as model arguments: through its
    OpenAI-compatible provider (`openai-api/drone/local-ft`, chat completions), or through its
    `openai/` provider, which speaks the Responses API."""

    def __init__(self, url: str, responses: bool = False) -> None:
        self.url = url
        self.model, self.stream_arg = f"openai-api/drone/{MODEL}", "stream"
        if responses:  # the two providers name their streaming argument differently
            self.model, self.stream_arg = f"openai/{MODEL}", "streaming"

    def _eval(
        self, prompt: str, parts: bool, stream: bool, choice: str | None, loop: bool, parallel=True
    ):
        from inspect_ai import Task
        from inspect_ai import eval as inspect_eval
        from inspect_ai.dataset import Sample
        from inspect_ai.model import ChatMessageUser, ContentText, get_model
        from inspect_ai.solver import generate, use_tools
        from inspect_ai.tool import ToolDef, ToolFunction, ToolParams

        ran: list[Call] = []

        def tool_def(function: dict[str, Any]) -> ToolDef:
            async def execute(**arguments: Any) -> str:
                ran.append((function["name"], arguments))
                return "accepted"

            parameters = ToolParams.model_validate(function["parameters"])
            return ToolDef(execute, function["name"], function["description"], parameters)

        arguments = {"base_url": self.url, "api_key": "unused", self.stream_arg: stream}
        model = get_model(self.model, **arguments)
        sample = Sample(
            input=[ChatMessageUser(content=[ContentText(text=prompt)])] if parts else prompt
        )
        solver = [
            use_tools(
                [tool_def(t["function"]) for t in tools()],
                tool_choice=ToolFunction(choice) if choice else "auto",
            ),
            generate(
                tool_calls="loop" if loop else "none",
                parallel_tool_calls=None if parallel else False,
            ),
        ]
        with tempfile.TemporaryDirectory() as logs:  # the samples are read back from the log
            log = inspect_eval(
                Task(dataset=[sample], solver=solver),
                model=model,
                log_dir=logs,
                display="none",
                message_limit=2 * MAX_TURNS + 1,
            )[0]
            if log.status != "success" or not log.samples:
                raise RuntimeError(log.error.message if log.error else f"eval {log.status}")
            return ran, log.samples[0].messages

    def ask(
        self, prompt: str, parts: bool = False, stream: bool = False, choice: str | None = None
    ) -> list[Call]:
        last = self._eval(prompt, parts, stream, choice, loop=False)[1][-1]
        return [(c.function, c.arguments) for c in getattr(last, "tool_calls", None) or []]

    def loop(self, prompt: str, parallel: bool = True) -> tuple[list[Call], str]:
        ran, messages = self._eval(prompt, False, False, None, loop=True, parallel=parallel)
        if getattr(messages[-1], "tool_calls", None):
            raise AssertionError(f"the eval stopped on tool calls after {len(messages)} messages")
        return ran, messages[-1].text


# label -> (distribution, module, how to build its probe from the server's base URL)
CLIENTS: dict[str, tuple[str, str, Callable[[str], Probe]]] = {
    "openai (chat completions)": ("openai", "openai", openai_chat),
    "openai (Responses)": ("openai", "openai", Responses),
    "langchain-openai": ("langchain-openai", "langchain_openai", LangChain),
    "langchain-openai (use_responses_api=True)": (
        "langchain-openai",
        "langchain_openai",
        functools.partial(LangChain, responses=True),
    ),
    "openai-agents (chat completions model)": (
        "openai-agents",
        "agents",
        functools.partial(Agents, responses=False),
    ),
    "openai-agents (Responses model, its default)": (
        "openai-agents",
        "agents",
        functools.partial(Agents, responses=True),
    ),
    "inspect_ai (openai-api/ provider)": ("inspect-ai", "inspect_ai", Inspect),
    "inspect_ai (openai/ provider: Responses)": (
        "inspect-ai",
        "inspect_ai",
        functools.partial(Inspect, responses=True),
    ),
    "litellm": ("litellm", "litellm", litellm_chat),
}
