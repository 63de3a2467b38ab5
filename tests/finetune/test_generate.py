"""The generator: deterministic, complete, deduplicated, split by kind, and clean of suite prompts."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from copilot import FUNCTION_NAMES
from finetune.__main__ import main
from finetune.dataset import has_plan, near_key, normalize
from finetune.generate import OverlapError, generate, write_dataset
from finetune.quality.overlap import OverlapIndex, check_file, load_suite_prompts
from finetune.quality.overlap import main as overlap_main
from finetune.quality.verify import check_format
from finetune.teachers.templates import TemplateTeacher

NO_SUITES = OverlapIndex([])


@pytest.fixture(scope="module")
def result():
    return generate(TemplateTeacher(), 800, seed=11, index=NO_SUITES)


def _prompts(res):
    return [(s.prompt, str(s.call)) for s in res.samples]


def test_generation_is_deterministic_for_a_seed(result):
    again = generate(TemplateTeacher(), 800, seed=11, index=NO_SUITES)
    assert _prompts(again) == _prompts(result)
    other = generate(TemplateTeacher(), 800, seed=12, index=NO_SUITES)
    assert _prompts(other) != _prompts(result)


def test_every_function_and_rule_is_covered(result):
    makeup = result.makeup()
    assert makeup["examples"] == 800
    assert set(makeup["by_function"]) == set(FUNCTION_NAMES)
    assert makeup["land_locations"].keys() == {"current", "home_base", "custom"}
    videos = [
        s
        for s in result.samples
        if s.call.name == "control_camera" and s.call.arguments["mode"] == "video"
    ]
    assert videos and all("duration" in s.call.arguments for s in videos)
    rainbows = [s for s in result.samples if s.call.arguments.get("pattern") == "rainbow"]
    assert rainbows and all("color" not in s.call.arguments for s in rainbows)
    assert 0.25 < makeup["rejects"] / makeup["examples"] < 0.45
    assert makeup["multi_turn"] > 0
    covered, every = makeup["invocations_covered"].split("/")
    assert covered == every  # every enum combination the rules allow (the cookbook's enumeration)
    categories = {k for k in makeup["by_kind"] if k.startswith("reject:")}
    assert len(categories) == 8


def test_value_rejects_scale_only_the_out_of_range_and_enum_miss_rejects():
    from finetune.teachers.mix import quotas

    full, none, third = (
        quotas(3000),
        quotas(3000, value_rejects=0),
        quotas(3000, value_rejects=1 / 3),
    )
    assert "reject:out_of_range" not in none and "reject:enum_miss" not in none
    assert 0 < third["reject:out_of_range"] < full["reject:out_of_range"]
    for kind in ("reject:capability", "reject:missing_value", "reject:injection"):
        assert abs(none[kind] - full[kind]) <= 1  # the other rejects keep their share
    assert sum(none.values()) == sum(full.values()) == 3000
    assert none["takeoff_drone"] > full["takeoff_drone"]  # positives take up the rest
    with pytest.raises(ValueError, match="value_rejects -1"):  # the library refuses it too
        quotas(3000, value_rejects=-1)


def test_no_exact_or_near_duplicates(result):
    single = [s for s in result.samples if not s.history]
    assert len({normalize(s.prompt) for s in single}) == len(single)
    assert len({near_key(s.prompt) for s in single}) == len(single)


def test_split_is_stratified(result):
    train, val = Counter(s.kind for s in result.train), Counter(s.kind for s in result.val)
    assert len(result.val) == pytest.approx(80, abs=10)
    for kind, n in (train + val).items():
        if n >= 20:
            assert val[kind] >= 1, kind
            assert val[kind] / n == pytest.approx(0.1, abs=0.06)


def test_a_planted_suite_prompt_is_dropped(tmp_path, result):
    planted = result.samples[5].prompt
    suite = tmp_path / "planted.jsonl"
    case = {
        "id": "x1",
        "prompt": planted.upper() + "!!",
        "expected": [{"name": "reject_request", "arguments": {}}],
    }
    suite.write_text(json.dumps(case) + "\n")
    index = OverlapIndex.from_suites([suite])
    again = generate(TemplateTeacher(), 800, seed=11, index=index)
    assert planted not in {s.prompt for s in again.samples}
    assert again.dropped["suite_overlap"] >= 1


def test_writing_refuses_data_that_overlaps(tmp_path, result):
    suite = tmp_path / "suite.jsonl"
    suite.write_text(
        json.dumps({"id": "a", "prompt": result.train[0].prompt, "expected": []}) + "\n"
    )
    out = tmp_path / "out"
    with pytest.raises(OverlapError):
        write_dataset(result, out, OverlapIndex.from_suites([suite]))
    assert not out.exists()


def test_overlap_check_finds_planted_prompts_in_a_training_file(tmp_path, result):
    paths = write_dataset(result, tmp_path / "data", NO_SUITES)
    suite_case = json.loads(paths["train"].read_text().splitlines()[3])["messages"][1]["content"]
    suite = tmp_path / "suite.jsonl"
    cases = [
        {"id": "exact", "prompt": suite_case, "expected": []},
        {
            "id": "far",
            "prompt": "completely unrelated words about gardening tomatoes",
            "expected": [],
        },
    ]
    suite.write_text("".join(json.dumps(c) + "\n" for c in cases))
    report = check_file(paths["train"], suites=[suite])
    assert {o.suite.case_id for o in report.overlaps} == {"exact"}
    assert 4 in {o.line for o in report.overlaps}
    assert overlap_main([str(paths["train"]), "--suites", str(suite)]) == 1
    far = tmp_path / "far.jsonl"
    far.write_text(json.dumps(cases[1]) + "\n")
    assert overlap_main([str(paths["val"]), "--suites", str(far)]) == 0
    assert overlap_main([str(paths["val"]), "--suites", str(tmp_path / "missing.jsonl")]) == 2


def test_the_shipped_suites_are_read():
    prompts = load_suite_prompts()
    assert len(prompts) >= 20  # the seed's suites at least
    assert all(p.prompt.strip() for p in prompts)


class _InterruptingTeacher(TemplateTeacher):
    def __init__(self, after: int) -> None:
        super().__init__()
        self.left = after

    def batch(self, kind, rng):
        if self.left == 0:
            raise KeyboardInterrupt
        self.left -= 1
        return super().batch(kind, rng)


def test_ctrl_c_keeps_what_was_verified():
    res = generate(_InterruptingTeacher(after=150), 800, seed=3, index=NO_SUITES)
    assert res.interrupted
    assert 100 < len(res.samples) < 200  # 150 batches, a few holding a reject and its twin


def test_cli_writes_openai_format_files(tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["generate", "--n", "300", "--seed", "5", "--out", str(out), "--json"]) == 0
    lines = (out / "train.jsonl").read_text().splitlines() + (
        out / "val.jsonl"
    ).read_text().splitlines()
    assert len(lines) == 300
    for line in lines:
        example = json.loads(line)
        assert check_format(example) is None
        # true exactly when a message holds a plan (several tool calls), as OpenAI requires
        assert example["parallel_tool_calls"] is has_plan(example["messages"])
        assert isinstance(example["messages"][-1]["tool_calls"][0]["function"]["arguments"], str)
    stats = json.loads((out / "stats.json").read_text())
    assert stats["seed"] == 5 and stats["makeup"]["examples"] == 300
    assert set(stats["stages"]) == {"format", "schema", "execution", "semantic"}
    first = (out / "train.jsonl").read_bytes()
    assert main(["generate", "--n", "300", "--seed", "5", "--out", str(out), "--json"]) == 0
    assert (out / "train.jsonl").read_bytes() == first
    assert check_file(out / "train.jsonl").overlaps == []


def test_cli_rejects_bad_arguments(tmp_path, capsys):
    assert main(["generate", "--n", "0", "--out", str(tmp_path)]) == 2
    assert "--n must be" in capsys.readouterr().err
    assert main(["generate", "--value-rejects", "-1", "--out", str(tmp_path)]) == 2
    assert "--value-rejects >= 0" in capsys.readouterr().err
    assert main(["generate", "--context-share", "1", "--out", str(tmp_path)]) == 2
    assert "--context-share must be in [0, 1)" in capsys.readouterr().err
    model_teacher = ["--teacher", "gpt-4o", "--context-share", "0.2"]
    assert main(["generate", *model_teacher, "--out", str(tmp_path)]) == 2
    assert "only the templates teacher" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_context_share_sets_the_multi_turn_share_and_takes_it_from_the_positives():
    from finetune.teachers.mix import quotas

    res = generate(TemplateTeacher(), 300, seed=3, index=NO_SUITES, context_share=0.3)
    assert sum(bool(s.history) for s in res.samples) == pytest.approx(90, abs=3)

    def rejects(quota: dict) -> int:
        return sum(v for k, v in quota.items() if k.startswith("reject:"))

    few, many = quotas(3000, context_share=0.1), quotas(3000, context_share=0.3)
    assert rejects(few) == rejects(many) > 0
    assert many["takeoff_drone"] < few["takeoff_drone"]


def test_prompts_are_short():
    res = generate(TemplateTeacher(), 400, seed=random.Random(1).randrange(100), index=NO_SUITES)
    words = sorted(len(s.prompt.split()) for s in res.samples)
    assert words[int(len(words) * 0.9)] <= 20


def test_coordinates_in_prompts_are_the_digits_of_the_call(result):
    """'105.80' in a prompt with 105.8 in the call taught a trial adapter a stray '0'."""
    with_coords = [s for s in result.samples if "coordinates" in s.call.arguments]
    assert len(with_coords) > 20
    for s in with_coords:
        for value in s.call.arguments["coordinates"].values():
            assert str(abs(value)) in s.prompt, (s.prompt, value)


def test_boundary_rejects_come_with_valid_twins():
    teacher, rng = TemplateTeacher(), random.Random(4)
    pairs = [
        b for b in (teacher.batch("reject:out_of_range", rng) for _ in range(60)) if len(b) == 2
    ]
    assert len(pairs) > 15
    for reject, twin in pairs:
        assert reject.is_reject and not twin.is_reject
        assert twin.kind == twin.call.name
    shared = [len(set(r.prompt.split()) & set(t.prompt.split())) for r, t in pairs]
    assert sum(shared) / len(shared) >= 2  # mostly the same sentence with another value
