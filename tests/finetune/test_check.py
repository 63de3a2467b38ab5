"""`python -m finetune check`: format errors by type with line numbers, real-tokenizer counts."""

from __future__ import annotations

import json

import pytest

from copilot import ToolCall
from finetune.__main__ import main
from finetune.dataset import Sample, to_example
from finetune.quality.check import (
    check_file,
    check_for_openai,
    format_errors,
    format_problems,
    load_tokenizer,
    openai_epochs,
)


def _good(prompt: str = "take off to 20 m") -> dict:
    return to_example(Sample(prompt, ToolCall("takeoff_drone", {"altitude": 20}), "takeoff_drone"))


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer()


@pytest.fixture
def corrupt_file(tmp_path):
    no_assistant = _good()
    no_assistant["messages"] = no_assistant["messages"][:2]
    unknown = _good()
    unknown["messages"][-1]["tool_calls"][0]["function"]["name"] = "do_a_barrel_roll"
    dict_args = _good()
    dict_args["messages"][-1]["tool_calls"][0]["function"]["arguments"] = {"altitude": 20}
    lines = [
        json.dumps(_good()),
        json.dumps(_good("launch to 20 metres")),
        "{this is not json",
        json.dumps(no_assistant),
        json.dumps(unknown),
        json.dumps(dict_args),
        json.dumps(_good("liftoff 20 m"))[:40],  # half-written last line
    ]
    path = tmp_path / "corrupt.jsonl"
    path.write_text("\n".join(lines))
    return path


def test_format_error_kinds():
    assert format_errors(_good()) == []
    assert format_errors([1, 2]) == ["data_type"]
    assert format_errors({"tools": []}) == ["missing_messages_list"]
    bad_role = _good()
    bad_role["messages"][1]["role"] = "pilot"
    assert "unrecognized_role" in format_errors(bad_role)
    extra = _good()
    extra["messages"][1]["mood"] = "grumpy"
    assert "message_unrecognized_key" in format_errors(extra)
    invalid = _good()
    invalid["messages"][-1]["tool_calls"][0]["function"]["arguments"] = '{"altitude": 500}'
    assert format_errors(invalid) == ["invalid_call"]


@pytest.mark.model
def test_corrupt_file_gives_line_numbered_errors_by_type(corrupt_file, tokenizer):
    report = check_file(corrupt_file, tokenizer=tokenizer)
    assert report["n_examples"] == 2
    assert report["format_errors"] == {
        "invalid_json": 2,
        "missing_assistant_message": 1,
        "unknown_function": 1,
        "arguments_not_a_string": 1,
    }
    lines = sorted(int(e.split(":")[0].removeprefix("line ")) for e in report["errors"])
    assert lines == [3, 4, 5, 6, 7]
    assert check_for_openai(corrupt_file, tokenizer=tokenizer)["errors"]


@pytest.mark.model
def test_token_counts_limits_and_billing(tmp_path, tokenizer):
    path = tmp_path / "good.jsonl"
    path.write_text(
        "".join(json.dumps(_good(f"take off to 20 m {'now ' * i}")) + "\n" for i in range(20))
    )
    report = check_file(path, tokenizer=tokenizer, max_tokens=30)
    local = report["local_tokens"]
    assert 10 < local["min"] < local["p10"] <= local["mean"] <= local["p90"] < local["max"] < 60
    assert report["over_local_limit"]  # the longest prompts exceed 30 tokens
    assert (
        report["openai_tokens"]["min"] > local["max"]
    )  # the tools list is in every OpenAI example
    assert report["epochs"] == 5  # 20 examples: the cookbook raises epochs to reach 100
    assert report["billed_tokens"] == report["billed_tokens_per_epoch"] * 5


def test_openai_epochs_rule():
    assert openai_epochs(2000) == 3
    assert openai_epochs(10) == 10
    assert openai_epochs(20000) == 1
    assert openai_epochs(500, n_epochs=2) == 2


@pytest.mark.model
def test_cli_exit_codes(corrupt_file, tmp_path, capsys):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(_good()) + "\n")
    assert main(["check", str(good), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_examples"] == 1
    assert main(["check", str(corrupt_file)]) == 1
    out = capsys.readouterr().out
    assert "line 3" in out and "invalid_json" in out
    assert main(["check", str(tmp_path / "missing.jsonl")]) == 2


# --------------------------------------------------------------------------- plans

TAKEOFF = ToolCall("takeoff_drone", {"altitude": 30})
PHOTO = ToolCall("control_camera", {"mode": "photo"})


def _plan(*calls: ToolCall, prompt: str = "take off to 30 m and snap a photo") -> dict:
    return to_example(Sample(prompt, calls[0], "plan", then=calls[1:]))


def _bad_plans() -> dict[str, dict]:
    """One bad plan line per problem, by what `check` must say about it."""
    not_parallel = _plan(TAKEOFF, PHOTO)
    not_parallel["parallel_tool_calls"] = False
    no_flag = _plan(TAKEOFF, PHOTO)
    del no_flag["parallel_tool_calls"]
    invalid_second = _plan(TAKEOFF, PHOTO)
    invalid_second["messages"][-1]["tool_calls"][1]["function"]["arguments"] = '{"mode": "x-ray"}'
    empty = _plan(TAKEOFF, PHOTO)
    empty["messages"][-1]["tool_calls"] = []
    return {
        'plan_without_parallel_tool_calls (2 calls in one assistant message need "parallel_tool_calls": true': not_parallel,
        "plan_without_parallel_tool_calls (2 calls": no_flag,
        "invalid_plan (a plan has at most 4 calls; this one has 5": _plan(*[PHOTO] * 5),
        "invalid_plan (reject_request must stand alone": _plan(TAKEOFF, ToolCall("reject_request", {})),
        "invalid_call (call 2 of 2: control_camera: mode": invalid_second,
        "invalid_plan (empty plan: no tool calls)": empty,
    }  # fmt: skip


def test_a_plan_line_is_valid_with_parallel_tool_calls_true():
    example = _plan(TAKEOFF, PHOTO)
    assert example["parallel_tool_calls"] is True
    assert [c["id"] for c in example["messages"][-1]["tool_calls"]] == ["call_0", "call_1"]
    assert format_errors(example) == []
    assert format_errors(_good()) == [] and _good()["parallel_tool_calls"] is False


def test_each_bad_plan_line_says_what_is_wrong():
    for says, example in _bad_plans().items():
        kind = says.split(" (")[0]
        assert format_errors(example) == [kind], says
        assert any(says in f"{k} ({d})" for k, d in format_problems(example)), says


@pytest.mark.model
def test_check_file_counts_plan_lines_and_names_each_bad_one(tmp_path, tokenizer, capsys):
    bad = _bad_plans()
    path = tmp_path / "plans.jsonl"
    lines = [_good(), _plan(TAKEOFF, PHOTO), *bad.values()]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    report = check_file(path, tokenizer=tokenizer)
    assert report["n_examples"] == 2 and report["n_lines_bad"] == len(bad)
    assert report["format_errors"] == {
        "plan_without_parallel_tool_calls": 2,
        "invalid_plan": 3,
        "invalid_call": 1,
    }
    for line, says in enumerate(bad, start=3):
        assert any(e.startswith(f"line {line}: {says}") for e in report["errors"]), says
    # The plan's local text (prompt + both calls) is longer than the single call's.
    assert report["local_tokens"]["max"] > report["local_tokens"]["min"]
    assert report["billed_tokens"] == report["billed_tokens_per_epoch"] * report["epochs"]
    assert main(["check", str(path)]) == 1
    assert "invalid_plan (reject_request must stand alone" in capsys.readouterr().out
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(_plan(TAKEOFF, PHOTO)) + "\n")
    assert main(["check", str(good)]) == 0
