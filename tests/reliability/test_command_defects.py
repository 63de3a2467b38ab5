"""Bad files and missing pieces given to the fine-tuning and simulator commands (defects 9, 10
and 11): one-line errors with the right exit code, and nothing overwritten or half-written."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from copilot import MAX_PROMPT_CHARS, Copilot, ReplayBackend


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


# --------------------------------------------------------------------------- 9: generate


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory, python_m) -> Path:
    out = tmp_path_factory.mktemp("data")
    done = python_m("finetune", "generate", "--n", "60", "--seed", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize("kind", ["empty", "blank", "not-json", "no-prompts", "empty-folder"])
def test_9_a_bad_suites_guard_is_an_error_and_the_data_is_untouched(
    tmp_path, dataset, python_m, one_line, kind
):
    bad = tmp_path / "suites.jsonl"
    content = {"empty": "", "blank": "\n \n", "not-json": "{oops\n", "no-prompts": '{"id": 1}\n'}
    if kind == "empty-folder":
        bad = tmp_path / "folder"
        bad.mkdir()
    else:
        bad.write_text(content[kind])
    before = snapshot(dataset)
    done = python_m(
        "finetune", "generate", "--n", "60", "--out", str(dataset), "--suites", str(bad)
    )
    assert done.returncode == 2 and one_line(done.stderr)
    assert str(bad.name) in done.stderr
    assert snapshot(dataset) == before


def test_9_a_good_run_leaves_no_temporary_file(dataset):
    assert sorted(p.name for p in dataset.iterdir()) == ["stats.json", "train.jsonl", "val.jsonl"]
    assert json.loads((dataset / "stats.json").read_text())["suite_prompts_checked"] > 500


# --------------------------------------------------------------------------- 10: card


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('{"foo": 1}', "runs"),
        ("[]", "not an evaluation summary"),
        ('{"runs": "x"}', "runs"),
        ('{"runs": []}', "runs"),
        ('{"runs": [{"model": "m", "suite": "s", "n": 1, "call_match": 7}]}', "call_match"),
        ("{not json", "not JSON"),
        (None, "cannot be read"),
    ],
    ids=["foo", "list", "runs-string", "no-runs", "out-of-range", "not-json", "directory"],
)
def test_10_a_wrong_evaluation_file_leaves_the_card_untouched(
    tmp_path, python_m, one_line, content, says
):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    card = adapter / "README.md"
    card.write_text("# card\n\n<!-- evaluation:start -->\n| a table |\n<!-- evaluation:end -->\n")
    before = card.read_bytes()
    evaluation = tmp_path / "summary.json"
    if content is None:
        evaluation.mkdir()
    else:
        evaluation.write_text(content)
    done = python_m("finetune", "card", str(adapter), "--evaluation", str(evaluation))
    assert done.returncode == 2 and one_line(done.stderr) and says in done.stderr
    assert card.read_bytes() == before
    assert sorted(p.name for p in adapter.iterdir()) == ["README.md"]


# --------------------------------------------------------------------------- 11: train


def test_11_openai_training_with_missing_data_is_one_line(python_m, one_line):
    done = python_m("finetune", "train", "--backend", "openai", "--data", "missing.jsonl",
                    "--yes", env={"OPENAI_API_KEY": "sk-test-0000000000"})  # fmt: skip
    assert done.returncode == 2 and one_line(done.stderr)
    assert "training data not found: missing.jsonl" in done.stderr


def test_11_an_unreachable_openai_api_is_one_line(dataset, python_m):
    env = {"OPENAI_API_KEY": "sk-test-0000000000", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    done = python_m("finetune", "train", "--backend", "openai", "--data",
                    str(dataset / "train.jsonl"), "--val", "", "--yes", env=env)  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr  # the cost line, then:
    assert done.stderr.strip().splitlines()[-1].startswith("error: the OpenAI API answered")
    assert "sk-test" not in done.stderr


def test_11_local_training_without_the_extra_says_so(tmp_path, dataset, one_line):
    import subprocess

    from finetune.__main__ import __file__ as entry

    # a machine without the 'local' extra: torch cannot be imported
    code = (
        "import sys; sys.modules['torch'] = None; from finetune.__main__ import main; "
        f"sys.exit(main(['train', '--backend', 'local', '--data', {str(dataset / 'train.jsonl')!r},"
        f" '--val', '', '--out', {str(tmp_path / 'run')!r}]))"
    )
    root = Path(entry).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 2 and one_line(done.stderr)
    assert "needs the 'local' extra" in done.stderr and "torch" in done.stderr


# --------------------------------------------------------------------------- 11: headless scripts


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        (["takeoff_drone(altitude=20)", "land_drone(location='current')"], 0),
        (["takeoff_drone(altitude=500)"], 1),  # failed: out of range
        (["land_drone(location='home_base')"], 1),  # denied: already on the ground
        (["takeoff_drone(altitude=20); reject_request()"], 1),  # a plan refused whole
    ],
    ids=["ok", "failed", "denied", "bad-plan"],
)
def test_11_a_headless_script_exits_1_when_a_step_fails(tmp_path, python_m, lines, code):
    script = tmp_path / "flight.txt"
    script.write_text("\n".join(lines) + "\n")
    done = python_m("simulator", "--headless", "--script", str(script),
                    env={"SDL_VIDEODRIVER": "dummy"})  # fmt: skip
    assert done.returncode == code, done.stdout + done.stderr


def test_11_a_10_mb_line_in_a_script_is_refused_at_once(tmp_path, python_m, one_line):
    script = tmp_path / "huge.txt"
    script.write_text("takeoff_drone(altitude=20)\n" + "fly " * 2_500_000 + "\n")
    started = time.monotonic()
    done = python_m("simulator", "--headless", "--script", str(script),
                    env={"SDL_VIDEODRIVER": "dummy"}, timeout=120)  # fmt: skip
    assert done.returncode == 2 and one_line(done.stderr)
    assert "huge.txt:2" in done.stderr and f"{MAX_PROMPT_CHARS:,}" in done.stderr
    assert time.monotonic() - started < 60


def test_11_a_command_past_the_cap_never_reaches_the_model(recording):
    session = Copilot(ReplayBackend(recording))
    turn = session.send("take off " * 2_000_000)
    assert turn.completion.error.startswith("command too long")
    assert not turn.calls and not session.history
    assert session.send("Take off the drone to 50 meters").completion.calls
