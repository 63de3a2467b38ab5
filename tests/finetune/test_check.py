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
