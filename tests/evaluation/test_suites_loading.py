"""Suite files: the shipped ones load cleanly; bad lines are reported and skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation.suites import (
    SUITES_DIR,
    SuiteNotFound,
    known_suites,
    load_suite,
    resolve_suites,
)

GOOD = {"id": "a", "prompt": "Take off to 50 m", "expected": [
    {"name": "takeoff_drone", "arguments": {"altitude": 50}}]}  # fmt: skip


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("name", known_suites())
def test_every_shipped_suite_loads_without_errors(name: str) -> None:
    suite = load_suite(SUITES_DIR / f"{name}.jsonl")
    assert suite.errors == []
    assert suite.cases


def test_seed_suites_hold_the_cookbook_prompts() -> None:
    straight = load_suite(SUITES_DIR / "straightforward.jsonl")
    challenging = load_suite(SUITES_DIR / "challenging.jsonl")
    assert len(straight.cases) == len(challenging.cases) == 10
    assert all(c.expects_reject for c in challenging.cases)
    assert straight.cases[1].prompt == "Take off the drone to 50 meters"
    assert str(straight.cases[1].expected[0]) == "takeoff_drone(altitude=50)"


def test_malformed_lines_are_reported_with_file_line_and_reason(tmp_path: Path) -> None:
    bad_call = {**GOOD, "id": "b", "expected": [{"name": "takeoff_drone",
                "arguments": {"altitude": 500}}]}  # fmt: skip
    path = write(
        tmp_path / "mixed.jsonl",
        [
            json.dumps(GOOD),
            "{not json",
            json.dumps({"id": "c", "expected": GOOD["expected"]}),
            json.dumps(bad_call),
            "",
            json.dumps({**GOOD, "id": "d", "expected": []}),
            json.dumps({**GOOD, "id": "e", "history": [{"content": "hi"}]}),
            json.dumps(GOOD),
            json.dumps({**GOOD, "id": "f", "setup": [{"name": "fly"}]}),
            json.dumps({**GOOD, "id": "g", "prompt": "Now take a photo", "setup": [
                {"name": "takeoff_drone", "arguments": {"altitude": 30}}],
                "history": [{"role": "user", "content": "Take off"}]}),
        ],
    )  # fmt: skip
    suite = load_suite(path)
    assert [c.id for c in suite.cases] == ["a", "g"]
    reasons = {e.line: e.reason for e in suite.errors}
    assert set(reasons) == {2, 3, 4, 6, 7, 8, 9}
    assert "invalid JSON" in reasons[2]
    assert "prompt" in reasons[3]
    assert "between 1 and 120" in reasons[4]
    assert "non-empty" in reasons[6]
    assert "history[0]" in reasons[7]
    assert "duplicate id 'a'" in reasons[8]
    assert "unknown function 'fly'" in reasons[9]
    assert str(suite.errors[0]) == f"{path}:2: {reasons[2]}"
    multi = suite.cases[1]
    assert [m["role"] for m in multi.messages("sys")] == ["system", "user", "user"]
    assert str(multi.setup[0]) == "takeoff_drone(altitude=30)"


def test_unreadable_and_empty_files_are_errors(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.jsonl", [""])
    assert "no cases" in load_suite(empty).errors[0].reason
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00")
    assert "cannot read" in load_suite(binary).errors[0].reason


def test_resolve_names_paths_all_and_default(tmp_path: Path) -> None:
    assert [p.stem for p in resolve_suites(None)] == ["straightforward", "challenging"]
    every = resolve_suites(["all"])
    assert [p.stem for p in every[:2]] == ["straightforward", "challenging"]
    assert len(every) == len(known_suites())
    mine = write(tmp_path / "mine.jsonl", [json.dumps(GOOD)])
    assert resolve_suites([str(mine), "challenging", "challenging"]) == [
        mine,
        SUITES_DIR / "challenging.jsonl",
    ]
    with pytest.raises(SuiteNotFound, match=r"known: .*challenging"):
        resolve_suites(["nope"])


def test_a_fine_tuning_file_reads_as_a_suite(tmp_path: Path) -> None:
    """What `python -m finetune generate` writes (OpenAI chat format) decodes like a suite."""
    from finetune.generate import generate, write_dataset
    from finetune.quality.overlap import OverlapIndex
    from finetune.teachers.templates import TemplateTeacher

    data = generate(TemplateTeacher(), 150, seed=5, index=OverlapIndex([]))
    write_dataset(data, tmp_path, index=OverlapIndex([]))
    suite = load_suite(tmp_path / "train.jsonl")
    assert suite.errors == []
    assert [(c.prompt, c.expected[0]) for c in suite.cases] == [
        (s.prompt, s.call) for s in data.train
    ]
    follow_up = next(c for c in suite.cases if c.history)
    assert [m["role"] for m in follow_up.history][:2] == ["user", "assistant"]
    assert all(m["role"] != "system" for c in suite.cases for m in c.history)


def test_a_bad_fine_tuning_line_is_reported_and_skipped(tmp_path: Path) -> None:
    def chat(arguments: str | None, last: str = "assistant") -> str:
        call = {"type": "function", "function": {"name": "takeoff_drone", "arguments": arguments}}
        return json.dumps({"messages": [
            {"role": "system", "content": "You fly a drone."},
            {"role": "user", "content": "Take off to 50 m"},
            {"role": last, "content": "Sure!", "tool_calls": [call] if arguments else None},
        ]})  # fmt: skip

    good = '{"altitude": 50}'
    lines = [chat(good), chat("{altitude"), chat(good, last="user"), chat(None), '{"messages": 1}']
    path = write(tmp_path / "ft.jsonl", lines)
    suite = load_suite(path)
    assert [str(c.expected[0]) for c in suite.cases] == ["takeoff_drone(altitude=50)"]
    assert suite.cases[0].category == "takeoff_drone" and suite.cases[0].history == ()
    assert [str(e) for e in suite.errors] == [
        f"{path}:2: tool_calls[0] has no JSON arguments",
        f"{path}:3: 'messages' must end with a user message and the assistant's answer",
        f"{path}:4: the assistant's answer has no tool calls",
        f"{path}:5: 'messages' must be a list of chat messages",
    ]
