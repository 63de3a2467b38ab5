"""Client frameworks people build on, against the real server and the real `local-ft` model (one
module-scoped server): LangChain's `ChatOpenAI` and the OpenAI Agents SDK over chat completions and
the Responses API (the `test` extra), inspect_ai and litellm (the `compat` extra; skipped without
it). Two gaps the clients found are pinned here too: a plan asked for one call a turn
(`parallel_tool_calls: false`) runs every step, and a tool named like a catalogue function but
with other parameters is never sent the catalogue's arguments.

The whole client x feature table is docs/clients.md (`python -m bench --only clients`).
"""

from __future__ import annotations

import functools
import operator

import pytest
from agents import (
    Agent,
    ModelSettings,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
    Runner,
    function_tool,
    set_tracing_disabled,
)
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI
from openai import AsyncOpenAI, BadRequestError

from copilot import tools

pytestmark = pytest.mark.model

TAKE_OFF = "take off to 30 metres"
TAKEOFF_30 = [("takeoff_drone", {"altitude": 30})]


@pytest.fixture(scope="module")
def url(local_ft_url):
    """The module's server over local-ft (tests/copilot/conftest.py)."""
    set_tracing_disabled(True)  # the Agents SDK would post its traces to OpenAI
    return local_ft_url


@pytest.fixture
def llm(url):
    return ChatOpenAI(base_url=url, api_key="unused", model="local-ft", max_retries=0)


def langchain_calls(message) -> list[tuple[str, dict]]:
    return [(c["name"], c["args"]) for c in message.tool_calls]


def test_langchain_reads_the_tool_call(llm):
    message = llm.bind_tools(tools()).invoke(TAKE_OFF)
    assert langchain_calls(message) == TAKEOFF_30
    assert message.response_metadata["finish_reason"] == "tool_calls"


def test_langchain_streams_the_tool_call_in_chunks(llm):
    chunks = list(llm.bind_tools(tools()).stream(TAKE_OFF))
    assert any(chunk.tool_call_chunks for chunk in chunks)
    assert langchain_calls(functools.reduce(operator.add, chunks)) == TAKEOFF_30


def test_langchain_content_parts_are_read_as_text(llm):
    message = HumanMessage(content=[{"type": "text", "text": TAKE_OFF}])
    assert langchain_calls(llm.bind_tools(tools()).invoke([message])) == TAKEOFF_30


def test_a_tool_is_never_sent_arguments_its_parameters_do_not_name(llm):
    feet = {"type": "object", "properties": {"height_feet": {"type": "integer"}}}
    tool = {
        "name": "takeoff_drone",
        "description": "Take off to a height in feet.",
        "parameters": feet,
    }
    try:
        message = llm.bind_tools([{"type": "function", "function": tool}]).invoke(TAKE_OFF)
    except BadRequestError:  # refusing the tool is an honest answer too
        return
    assert all(set(call["args"]) <= {"height_feet"} for call in message.tool_calls)


def fly(url: str, model_class: type) -> tuple[list[int], object]:
    """An Agent with one function tool, run by `Runner.run_sync` with the default
    tool_use_behavior (the model is asked again after the tool ran): the altitudes the tool was
    called with and the run's result."""
    altitudes: list[int] = []

    @function_tool
    def takeoff_drone(altitude: int) -> str:
        """Take off and climb to `altitude` metres."""
        altitudes.append(altitude)
        return "accepted"

    client = AsyncOpenAI(base_url=url, api_key="unused", max_retries=0)
    agent = Agent(
        name="pilot",
        instructions="You fly a drone.",
        tools=[takeoff_drone],
        model=model_class(model="local-ft", openai_client=client),
    )
    return altitudes, Runner.run_sync(agent, TAKE_OFF)  # MaxTurnsExceeded if it never ends


def test_an_agent_over_chat_completions_runs_the_tool_once_and_ends(url):
    altitudes, result = fly(url, OpenAIChatCompletionsModel)
    assert altitudes == [30]
    assert "accepted" in result.final_output


def test_an_agent_over_the_responses_api_runs_the_tool_once_and_ends(url):
    altitudes, result = fly(url, OpenAIResponsesModel)
    assert altitudes == [30]
    assert "accepted" in result.final_output


def test_an_agent_with_parallel_tool_calls_off_runs_every_step_of_a_plan(url):
    ran: list[str] = []

    @function_tool
    def takeoff_drone(altitude: int) -> str:
        """Take off and climb to `altitude` metres."""
        ran.append(f"takeoff_drone({altitude})")
        return "accepted"

    @function_tool
    def set_drone_lighting(mode: str) -> str:
        """Set the lights: on, off, blink or sos."""
        ran.append(f"set_drone_lighting({mode})")
        return "accepted"

    agent = Agent(
        name="pilot",
        tools=[takeoff_drone, set_drone_lighting],
        model=OpenAIChatCompletionsModel(
            model="local-ft", openai_client=AsyncOpenAI(base_url=url, api_key="unused")
        ),
        model_settings=ModelSettings(parallel_tool_calls=False),  # one call a turn
    )
    Runner.run_sync(agent, "take off to 30 metres then turn the lights on")
    assert ran == ["takeoff_drone(30)", "set_drone_lighting(on)"]


def test_litellm_with_the_openai_prefix(url, monkeypatch):
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no download of its price list
    litellm = pytest.importorskip("litellm")
    answer = litellm.completion(
        model="openai/local-ft",
        api_base=url,
        api_key="unused",
        num_retries=0,
        messages=[{"role": "user", "content": TAKE_OFF}],
        tools=tools(),
        tool_choice={"type": "function", "function": {"name": "takeoff_drone"}},
    )
    call = answer.choices[0].message.tool_calls[0]
    assert (call.function.name, call.function.arguments) == ("takeoff_drone", '{"altitude": 30}')


def test_an_inspect_eval_runs_the_tool_loop_to_the_end(url, tmp_path):
    pytest.importorskip("inspect_ai")
    from inspect_ai import Task
    from inspect_ai import eval as inspect_eval
    from inspect_ai.dataset import Sample
    from inspect_ai.model import get_model
    from inspect_ai.scorer import includes
    from inspect_ai.solver import generate, use_tools
    from inspect_ai.tool import tool

    altitudes: list[int] = []

    @tool
    def takeoff_drone():
        async def execute(altitude: int) -> str:
            """Take off.

            Args:
                altitude: The altitude to climb to, in metres.
            """
            altitudes.append(altitude)
            return "accepted"

        return execute

    task = Task(
        dataset=[Sample(input=TAKE_OFF, target="accepted")],
        solver=[use_tools(takeoff_drone()), generate()],
        scorer=includes(),
    )
    model = get_model("openai-api/drone/local-ft", base_url=url, api_key="unused")
    [log] = inspect_eval(task, model=model, log_dir=str(tmp_path), display="none")
    assert log.status == "success", log.error
    assert altitudes == [30]
    assert log.results.scores[0].metrics["accuracy"].value == 1.0
