"""Plans in the evaluation: suites with `expected_plans`, plan scores against the real simulator
core, the answer cache, results lines, and the shipped plan example through the whole CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from copilot import Completion, ToolCall, validate_call
from evaluation.cache import AnswerCache, completion_to_dict
from evaluation.executed import executed_match
from evaluation.report_terminal import print_report
from evaluation.results import CaseResult, read_results
from evaluation.scoring import score, step_accuracy
from evaluation.suites import load_suite

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "evaluation" / "examples"


def c(name: str, **arguments: object) -> ToolCall:
    checked = validate_call(name, arguments)
    assert isinstance(checked, ToolCall), checked
    return checked


def text(*calls: ToolCall) -> str:
    """A plan as a model writes it: one call a line."""
    return "\n".join(map(str, calls))


def d(call: ToolCall) -> dict[str, object]:
    return {"name": call.name, "arguments": call.arguments}


TAKEOFF = c("takeoff_drone", altitude=30)
PHOTO = c("control_camera", mode="photo")
UP = c("control_drone_movement", direction="up", distance=20)
FORWARD = c("control_drone_movement", direction="forward", distance=50)
PANORAMA = c("control_camera", mode="panorama")
SAVER = c("set_battery_saver_mode", status="on")
AUTOPILOT = c("set_autopilot", status="on")
LIGHTS = c("set_drone_lighting", mode="on")
REJECT = c("reject_request")
THREE = ((UP, FORWARD, PANORAMA),)

# (case, acceptable plans, model output, name, call, valid, step accuracy, best plan index)
PLAN_SCORES = [
    ("same plan", ((TAKEOFF, PHOTO),), text(TAKEOFF, PHOTO), True, True, True, 1.0, 0),
    ("other order", ((TAKEOFF, PHOTO),), text(PHOTO, TAKEOFF), False, False, True, 0.0, 0),
    ("third step wrong", THREE, text(UP, FORWARD, PHOTO), True, False, True, 2 / 3, 0),
    ("stops after one", THREE, text(UP), True, False, True, 1 / 3, 0),
    ("one step too many", THREE, text(UP, FORWARD, PANORAMA, LIGHTS), True, False, True,
     2 / 3, 0),
    ("second step wrong, extra", THREE, text(UP, LIGHTS, PANORAMA, PHOTO), True, False, True,
     1 / 3, 0),
    ("either order listed", ((SAVER, AUTOPILOT), (AUTOPILOT, SAVER)), text(AUTOPILOT, SAVER),
     True, True, True, 1.0, 1),
    ("best of two plans", ((SAVER, LIGHTS), (SAVER, AUTOPILOT, LIGHTS)), text(SAVER, AUTOPILOT),
     True, False, True, 2 / 3, 1),
    # refusal is atomic: reject_request beside a call is malformed, never a refusal
    ("refusal mixed", ((REJECT,),), text(TAKEOFF, REJECT), False, False, False, 0.0, 0),
    ("refusal alone", ((REJECT,),), text(REJECT), True, True, True, 1.0, 0),
    ("five calls", ((UP, FORWARD, PANORAMA),), text(UP, FORWARD, PANORAMA, PHOTO, LIGHTS),
     True, False, False, 0.0, 0),
    # a one-call case: step accuracy is call match as 0 or 1, extra calls included
    ("one call, right", ((PHOTO,),), text(PHOTO), True, True, True, 1.0, 0),
    ("one call, then another", ((PHOTO,),), text(PHOTO, LIGHTS), True, False, True, 0.0, 0),
    ("one call, plan expected", ((TAKEOFF, PHOTO),), text(TAKEOFF), True, False, True, 0.5, 0),
]  # fmt: skip


@pytest.mark.parametrize(
    ("plans", "output", "name", "matched", "valid", "steps", "best"),
    [x[1:] for x in PLAN_SCORES],
    ids=[x[0] for x in PLAN_SCORES],
)
def test_plan_scores(
    plans: tuple[tuple[ToolCall, ...], ...],
    output: str,
    name: bool,
    matched: bool,
    valid: bool,
    steps: float,
    best: int,
) -> None:
    scores = score(plans, Completion.from_output(output))
    assert (scores.name_match, scores.call_match, scores.valid) == (name, matched, valid)
    assert scores.step_accuracy == pytest.approx(steps)
    assert scores.plan == best


def test_bare_calls_are_plans_of_one_call() -> None:
    completion = Completion.from_output(text(PHOTO))
    assert score((LIGHTS, PHOTO), completion) == score(((LIGHTS,), (PHOTO,)), completion)
    assert step_accuracy((LIGHTS, PHOTO), completion) == (1.0, 1)


LAND = c("land_drone", location="current")
MOVE = c("control_drone_movement", direction="forward", distance=10)
CALIBRATE = c("calibrate_sensors")
AUTOPILOT_OFF = c("set_autopilot", status="off")
FOLLOW_OFF = c("set_follow_me_mode", status="off")

# (case, acceptable plans, predicted plan, setup, executed match, call match)
EXECUTED = [
    # two independent settings in either order: the same state, not the same plan
    ("settings in other order", [[SAVER, AUTOPILOT]], [AUTOPILOT, SAVER], [], True, False),
    ("same plan", [[TAKEOFF, PHOTO]], [TAKEOFF, PHOTO], [], True, True),
    ("plan one step short", [[TAKEOFF, PHOTO]], [TAKEOFF], [], False, False),
    ("plan with a step more", [[TAKEOFF, PHOTO]], [TAKEOFF, PHOTO, LIGHTS], [], False, False),
    # a denied step never matches, though the drone ends where the expected plan leaves it
    # (landed, autopilot off): the move is denied on the ground and nothing after it runs
    ("denied step", [[LAND, AUTOPILOT_OFF]], [LAND, MOVE], [], False, False),
    # the expected plan is not accepted (calibration needs the ground): fall back to call match
    ("expected denied, same plan", [[TAKEOFF, CALIBRATE]], [TAKEOFF, CALIBRATE], [], True, True),
    ("expected denied, other plan", [[TAKEOFF, CALIBRATE]], [TAKEOFF], [], False, False),
    # the expected plan changes nothing (both already off): fall back to call match
    ("no-op plan, same", [[AUTOPILOT_OFF, FOLLOW_OFF]], [AUTOPILOT_OFF, FOLLOW_OFF], [], True,
     True),
    ("no-op plan, other order", [[AUTOPILOT_OFF, FOLLOW_OFF]], [FOLLOW_OFF, AUTOPILOT_OFF], [],
     False, False),
    ("refusal", [[REJECT]], [REJECT], [], True, True),
    ("refusal against a no-op", [[REJECT]], [AUTOPILOT_OFF], [], False, False),
    # with a setup, every plan starts from the setup's state
    ("setup, then plan", [[UP, PHOTO, LAND]], [UP, PHOTO, LAND], [TAKEOFF], True, True),
    ("setup, plan misses a step", [[UP, PHOTO, LAND]], [UP, LAND], [TAKEOFF], False, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("plans", "predicted", "setup", "executed", "matched"),
    [x[1:] for x in EXECUTED],
    ids=[x[0] for x in EXECUTED],
)
def test_executed_match_of_plans(
    plans: list[list[ToolCall]],
    predicted: list[ToolCall],
    setup: list[ToolCall],
    executed: bool,
    matched: bool,
) -> None:
    assert executed_match(plans, predicted, setup) is executed
    assert score(plans, Completion.from_output(text(*predicted))).call_match is matched


def write(path: Path, records: list[object]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_suite_reads_expected_plans_and_reports_bad_plans(tmp_path: Path) -> None:
    plan = [d(TAKEOFF), d(PHOTO)]
    good = {"id": "a", "prompt": "take off to 30 m and snap a photo", "expected_plans": [plan]}
    either = {"id": "b", "prompt": "saver and autopilot on",
              "expected_plans": [[d(SAVER), d(AUTOPILOT)], [d(AUTOPILOT), d(SAVER)]]}  # fmt: skip
    one_call = {"id": "c", "prompt": "take a photo", "expected": [d(PHOTO)]}
    refuse = {"id": "h", "prompt": "fly to the moon", "expected_plans": [[d(REJECT)]]}
    bad_second = {"name": "control_camera", "arguments": {"mode": "selfie"}}
    path = write(
        tmp_path / "plans.jsonl",
        [
            good,
            either,
            one_call,
            {**good, "id": "d", "expected_plans": [[d(UP), d(FORWARD), d(PANORAMA), d(PHOTO),
                                                    d(LIGHTS)]]},
            {**good, "id": "e", "expected_plans": [[d(TAKEOFF), d(REJECT)]]},
            {**good, "id": "f", "expected_plans": [[d(TAKEOFF), bad_second]]},
            {**good, "id": "g", "expected": [d(TAKEOFF)]},
            refuse,
            {**good, "id": "i", "expected_plans": []},
            {**good, "id": "j", "expected_plans": [[]]},
            {**good, "id": "k", "expected_plans": [d(TAKEOFF)]},
            {"id": "l", "prompt": "nothing expected"},
        ],
    )  # fmt: skip
    suite = load_suite(path)
    assert [case.id for case in suite.cases] == ["a", "b", "c", "h"]
    reasons = {e.line: e.reason for e in suite.errors}
    assert reasons == {
        4: "expected_plans[0] is not a valid plan: a plan has at most 4 calls; this one has 5: "
        "nothing was run",
        5: "expected_plans[0] is not a valid plan: reject_request must stand alone: a refusal "
        "refuses the whole plan, so nothing was run",
        6: reasons[6],  # the catalogue's wording, checked below
        7: "a case has 'expected' or 'expected_plans', not both",
        9: "'expected_plans' must be a non-empty list of plans (lists of calls)",
        10: "'expected_plans[0]' must be a non-empty list of calls",
        11: "'expected_plans[0]' must be a non-empty list of calls",
        12: "missing 'expected' (or 'expected_plans')",
    }
    assert reasons[6].startswith("expected_plans[0][1] is not a valid call:")
    assert "selfie" in reasons[6] or "mode" in reasons[6]
    a, b, one, refusal = suite.cases
    assert a.plans == ((TAKEOFF, PHOTO),) and a.expected == (TAKEOFF,) and a.is_plan
    assert b.expected == (SAVER, AUTOPILOT) and len(b.plans) == 2
    assert one.plans == ((PHOTO,),) and one.expected == (PHOTO,) and not one.is_plan
    assert refusal.expects_reject and not a.expects_reject


def test_a_fine_tuning_line_with_several_tool_calls_is_one_plan(tmp_path: Path) -> None:
    def chat(*calls: ToolCall) -> dict[str, object]:
        tool_calls = [call.to_openai(f"call_{i}") for i, call in enumerate(calls)]
        return {"messages": [
            {"role": "user", "content": "take off to 30 m and snap a photo"},
            {"role": "assistant", "content": None, "tool_calls": tool_calls},
        ], "parallel_tool_calls": len(calls) > 1}  # fmt: skip

    suite = load_suite(write(tmp_path / "ft.jsonl", [chat(TAKEOFF, PHOTO), chat(TAKEOFF, REJECT)]))
    assert [case.plans for case in suite.cases] == [((TAKEOFF, PHOTO),)]
    assert suite.cases[0].category == "takeoff_drone"
    assert "reject_request must stand alone" in suite.errors[0].reason


def test_the_cache_keeps_plans_whole(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path)
    answer = Completion.from_output(text(UP, FORWARD, PANORAMA), latency_ms=12.5)
    cache.put("plan", answer)
    got = cache.get("plan")
    assert got is not None and got.calls == [UP, FORWARD, PANORAMA] and got.error is None
    assert score(THREE, got) == score(THREE, answer)
    refused = Completion.from_output(text(TAKEOFF, REJECT))
    cache.put("mixed", refused)
    got = cache.get("mixed")
    assert got is not None and got.calls == [] and got.error == refused.error
    assert [c.name for c in got.raw_calls] == ["takeoff_drone", "reject_request"]


def test_a_cache_entry_from_before_plans_is_read_under_the_plan_rules(tmp_path: Path) -> None:
    """Before plans, five valid calls were kept as a valid answer; they are a malformed plan."""
    old = completion_to_dict(Completion.from_output(text(UP)))
    old["calls"] = [d(call) for call in (UP, FORWARD, PANORAMA, PHOTO, LIGHTS)]
    old["raw_calls"] = list(old["calls"])
    (tmp_path / "ol").mkdir()
    (tmp_path / "ol" / "old.json").write_text(json.dumps(old))
    got = AnswerCache(tmp_path).get("old")
    assert got is not None and got.calls == [] and "at most 4 calls" in str(got.error)
    assert len(got.raw_calls) == 5 and not score(THREE, got).valid


def test_a_results_line_from_before_plans_reads_with_plan_fields() -> None:
    line = {"model": "m", "suite": "s", "id": "1", "category": "c", "prompt": "p",
            "expected": [d(PHOTO)], "actual": [d(PHOTO)], "name_match": True,
            "call_match": True, "valid": True, "executed_match": True, "latency_ms": 1.0,
            "tokens": 3, "expected_name": "control_camera", "actual_name": "control_camera",
            "expects_reject": False, "version": 1}  # fmt: skip
    result = CaseResult.from_dict(line)
    assert result.expected_plans == [[d(PHOTO)]]
    assert (result.step_accuracy, result.plan_len_expected, result.plan_len_actual) == (1.0, 1, 1)


# The shipped example, scored by hand (plans_answers.jsonl answers each prompt):
# id: (name, call, valid, executed, step accuracy, plan_len_expected, plan_len_actual)
EXAMPLE = {
    "p01": (True, True, True, True, 1.0, 2, 2),  # right
    "p02": (True, True, True, True, 1.0, 2, 2),  # the other order, also listed
    "p03": (False, False, True, True, 0.0, 2, 2),  # the other order, not listed: executed only
    "p04": (True, False, True, False, 2 / 3, 3, 3),  # a photo for the panorama
    "p05": (True, False, True, False, 2 / 4, 4, 2),  # stops after two of four steps
    "p06": (False, False, False, False, 0.0, 1, 2),  # takeoff beside reject_request: malformed
    "p07": (True, True, True, True, 1.0, 1, 1),  # refused whole
    "p08": (True, False, True, False, 2 / 3, 3, 4),  # a step after the last one
    "p09": (True, True, True, True, 1.0, 1, 1),  # the second acceptable call
}
EXAMPLE_STEPS = (4 + 2 / 3 + 2 / 4 + 2 / 3) / 9  # 35/54


@pytest.fixture(scope="module")
def example_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """`python -m evaluation` on the shipped plan suite, in a subprocess, as a user runs it."""
    root = tmp_path_factory.mktemp("plans")
    argv = [sys.executable, "-m", "evaluation", "--suite", str(EXAMPLES / "plans.jsonl"),
            "--model", f"replay:{EXAMPLES / 'plans_answers.jsonl'}", "--output",
            str(root / "run"), "--cache-dir", str(root / "cache"), "--format", "json",
            "--no-plots"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return root / "run", json.loads(done.stdout)


def test_the_example_plan_suite_scores_end_to_end(example_run) -> None:
    run, stdout = example_run
    lines = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    got = {
        line["id"]: tuple(line[k] for k in ("name_match", "call_match", "valid",
                          "executed_match", "step_accuracy", "plan_len_expected",
                          "plan_len_actual"))
        for line in lines
    }  # fmt: skip
    assert got.keys() == EXAMPLE.keys()
    for case_id, want in EXAMPLE.items():
        assert got[case_id][:4] == want[:4], case_id
        assert got[case_id][4] == pytest.approx(want[4]), case_id
        assert got[case_id][5:] == want[5:], case_id
    first = lines[0]
    assert first["expected_plans"] == [[d(TAKEOFF), d(PHOTO)]]
    assert first["expected"] == [d(TAKEOFF)] and first["version"] == 1
    assert first["actual"] == [d(TAKEOFF), d(PHOTO)]
    assert lines[-1]["expected_plans"] == [
        [{"name": "return_to_home", "arguments": {}}],
        [{"name": "land_drone", "arguments": {"location": "home_base"}}],
    ]
    summary = json.loads((run / "summary.json").read_text())
    (totals,) = summary["runs"]
    assert totals["step_accuracy"] == pytest.approx(EXAMPLE_STEPS, abs=1e-6)
    assert (totals["n"], totals["call_match"], totals["executed_match"]) == (
        9,
        pytest.approx(4 / 9, abs=1e-6),
        pytest.approx(5 / 9, abs=1e-6),
    )
    assert totals["reject_recall"] == 0.5 and totals["errors"] == 1
    assert "step_accuracy" in (run / "summary.csv").read_text().splitlines()[0]
    (printed,) = stdout["runs"]
    assert printed["call_match"] == totals["call_match"]


def test_reports_show_plans_as_numbered_steps(example_run) -> None:
    run, _ = example_run
    results = read_results(run / "results.jsonl")
    console = Console(record=True, width=300)
    print_report(results, console)
    shown = console.export_text()
    assert "1. takeoff_drone(altitude=30)" in shown
    assert '2. control_camera(mode="photo")' in shown
    assert "Step accuracy: 64.81% (expected steps matched in order, mean)" in shown
    assert " 2/3 " in shown and " 2/4 " in shown
    html = (run / "report.html").read_text()
    assert "1. takeoff_drone(altitude=30)  2. control_camera(mode=&quot;photo&quot;)" in html
    assert "<th>steps</th>" in html and '<td class="n">2/4</td>' in html


def test_one_call_suites_have_step_accuracy_equal_to_call_match(report_run: Path) -> None:
    """The seed suites, some answers wrong: every line has one-call plans and 0/1 steps."""
    results = read_results(report_run / "results.jsonl")
    assert results and all(r.step_accuracy == float(r.call_match) for r in results)
    assert all(r.plan_len_expected == 1 for r in results)
    assert all(r.expected_plans == [[call] for call in r.expected] for r in results)
    summary = json.loads((report_run / "summary.json").read_text())
    assert all(run["step_accuracy"] == run["call_match"] for run in summary["runs"])
