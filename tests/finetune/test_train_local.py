"""The local LoRA trainer, on the real Gemma 3 270M base model and real files.

The `model` tests train for a few steps on a handful of examples (a few seconds each beyond the
model load); the others check the data handling and the failure modes without loading the model.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from copilot import SEED_SYSTEM_PROMPT, tools
from finetune.__main__ import main
from finetune.training.card import add_evaluation
from finetune.training.config import TrainConfig
from finetune.training.data import DataError, Encoded, encode, load_examples, make_batches
from finetune.training.local import compiles
from finetune.training.loop import train

ROOT = Path(__file__).resolve().parents[2]
CASES = [
    ("Take off to 50 meters", "takeoff_drone", {"altitude": 50}),
    ("Land at the home base", "land_drone", {"location": "home_base"}),
    ("Move forward 10 meters", "control_drone_movement", {"direction": "forward", "distance": 10}),
    ("Set the speed to 15 km/h", "set_drone_speed", {"speed": 15}),
    ("Take a photo", "control_camera", {"mode": "photo"}),
    ("Turn on the lights", "set_drone_lighting", {"mode": "on"}),
    ("Come back home", "return_to_home", {}),
    ("Turn into an elephant", "reject_request", {}),
]


def example(prompt: str, name: str, arguments: dict) -> dict:
    call = {"id": "call_0", "type": "function"}
    call["function"] = {"name": name, "arguments": json.dumps(arguments)}
    return {
        "messages": [
            {"role": "system", "content": SEED_SYSTEM_PROMPT},
            {"role": "user", "content": prompt},
            {"role": "assistant", "tool_calls": [call]},
        ],
        "tools": tools(),
        "parallel_tool_calls": False,
    }


def plan_example(prompt: str, *calls: tuple[str, dict]) -> dict:
    """A plan line: one assistant message with several tool_calls, parallel_tool_calls true."""
    line = example(prompt, *calls[0])
    for i, (name, arguments) in enumerate(calls[1:], start=1):
        call = {"id": f"call_{i}", "type": "function"}
        call["function"] = {"name": name, "arguments": json.dumps(arguments)}
        line["messages"][-1]["tool_calls"].append(call)
    line["parallel_tool_calls"] = True
    return line


TAKEOFF_AND_PHOTO = (
    "Take off to 30 m and snap a photo",
    ("takeoff_drone", {"altitude": 30}),
    ("control_camera", {"mode": "photo"}),
)


def write_jsonl(path: Path, cases: list) -> Path:
    path.write_text("".join(json.dumps(example(*c)) + "\n" for c in cases), encoding="utf-8")
    return path


def lora_weights(folder: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(folder / "adapter_model.safetensors")


def tiny_config(tmp_path: Path, **overrides) -> TrainConfig:
    tmp_path.mkdir(parents=True, exist_ok=True)
    data = write_jsonl(tmp_path / "train.jsonl", CASES[:4])
    values = dict(
        data=str(data), val=None, out=str(tmp_path / "run"), epochs=3, batch_size=1, rank=4,
        alpha=8, lr=2e-3, warmup_steps=1, quiet=True, compile="off",
        # the mechanics under test, not the default recipe: all layers, no averaging, no budget
        layers=0, ema=0.0, eval_every=0, val_limit=0, patience=2, max_minutes=0.0,
    )  # fmt: skip
    return TrainConfig(**{**values, **overrides})


# --------------------------------------------------------------------------- no model needed


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "is empty"),
        ("not json\n", "train.jsonl:1: not valid JSON"),
        ('{"messages": [{"role": "user", "content": "hi"}]}\n', "no assistant message"),
        (
            json.dumps(example("Take off to 500 m", "takeoff_drone", {"altitude": 500})) + "\n",
            "invalid call: takeoff_drone: altitude must be between 1 and 120",
        ),
    ],
)
def test_bad_training_file_stops_before_any_work_with_the_reason(tmp_path, capsys, text, reason):
    data = tmp_path / "train.jsonl"
    data.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=reason):
        load_examples(data)
    code = main(["train", "--data", str(data), "--val", "", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 1
    assert reason.split(":")[-1].strip() in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()  # nothing was started


def test_a_plan_example_loads_and_a_malformed_plan_stops_with_the_reason(tmp_path):
    data = tmp_path / "train.jsonl"
    data.write_text(json.dumps(plan_example(*TAKEOFF_AND_PHOTO)) + "\n", encoding="utf-8")
    (loaded,) = load_examples(data)
    assert len(loaded["messages"][-1]["tool_calls"]) == 2
    for calls, reason in (
        (
            [("takeoff_drone", {"altitude": 30}), ("reject_request", {})],
            "reject_request must stand alone",
        ),
        ([("calibrate_sensors", {})] * 5, "a plan has at most 4 calls; this one has 5"),
        (
            [("takeoff_drone", {"altitude": 30}), ("takeoff_drone", {"altitude": 300})],
            "invalid call (call 2 of 2): takeoff_drone: altitude must be between 1 and 120",
        ),
    ):
        data.write_text(json.dumps(plan_example("x", *calls)) + "\n", encoding="utf-8")
        with pytest.raises(DataError, match=re.escape(f"train.jsonl:1: {reason}")):
            load_examples(data)


def test_missing_checkpoint_and_card_name_what_is_missing(tmp_path, capsys):
    data = write_jsonl(tmp_path / "train.jsonl", CASES[:2])
    out = tmp_path / "run"
    code = main(["train", "--data", str(data), "--val", "", "--out", str(out), "--resume"])
    assert code == 1
    assert str(out / "checkpoint") in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "README.md")):
        add_evaluation(tmp_path, "| x |")


def test_an_unknown_head_stops_before_the_model_loads(tmp_path):
    with pytest.raises(DataError, match="unknown head 'logits'"):
        train(tiny_config(tmp_path, head="logits"))
    assert not (tmp_path / "run").exists()


def test_an_ema_decay_outside_0_to_1_stops_before_the_model_loads(tmp_path):
    with pytest.raises(DataError, match=r"ema must be in \[0, 1\), not 1\.0"):
        train(tiny_config(tmp_path, ema=1.0))
    assert not (tmp_path / "run").exists()


def test_an_unknown_precision_stops_before_the_model_loads(tmp_path):
    with pytest.raises(DataError, match="unknown precision 'fp16'"):
        train(tiny_config(tmp_path, precision="fp16"))
    assert not (tmp_path / "run").exists()


def test_weight_average_follows_the_ramped_decay_and_swaps_back():
    from finetune.training.checkpoint import WeightAverage

    param = torch.nn.Parameter(torch.zeros(3))
    average = WeightAverage([param], decay=0.9)
    expected = torch.zeros(3)
    for t, value in enumerate([1.0, 2.0, 4.0], start=1):
        param.data.fill_(value)
        average.update()
        decay = min(0.9, (1 + t) / (10 + t))  # 0.18, 0.25, 0.31: the ramp, not yet 0.9
        expected = decay * expected + (1 - decay) * value
    assert torch.allclose(average.shadow[0], expected)
    average.swap()
    assert torch.allclose(param.data, expected)
    average.swap()
    assert torch.equal(param.data, torch.full((3,), 4.0))


def test_missing_adapter_path_names_the_missing_file(tmp_path):
    from copilot import ModelUnavailable, get_backend

    with pytest.raises(ModelUnavailable, match=str(tmp_path / "adapter" / "adapter_config.json")):
        get_backend("local-ft", adapter=tmp_path / "adapter")


def test_batches_group_similar_lengths_and_repeat_per_seed():
    items = [Encoded(tuple(range(n)), 1) for n in (3, 30, 4, 31, 5, 32, 6, 33)]
    batches = make_batches(items, 4, seed=1, epoch=0)
    assert sorted(len(items[i]) for i in batches[0]) in ([3, 4, 5, 6], [30, 31, 32, 33])
    assert batches == make_batches(items, 4, seed=1, epoch=0)
    assert sorted(i for batch in batches for i in batch) == list(range(8))


# --------------------------------------------------------------------------- real model


@pytest.mark.model
def test_a_plan_example_encodes_its_calls_as_the_decoder_writes_them():
    from copilot import grammar_vocabulary
    from finetune.quality.check import load_tokenizer

    tokenizer = load_tokenizer()
    (item,) = encode([plan_example(*TAKEOFF_AND_PHOTO)], tokenizer, max_tokens=256)
    target = list(item.input_ids[len(item) - item.n_target :])
    assert tokenizer.decode(target) == (
        'takeoff_drone(altitude=30)\ncontrol_camera(mode="photo")<end_of_turn>'
    )
    newline = tokenizer.convert_tokens_to_ids("\n")
    assert target.count(newline) == 1  # the decoder's separator, a token of its own
    assert tokenizer.decode(target[: target.index(newline)]) == "takeoff_drone(altitude=30)"
    end = tokenizer.convert_tokens_to_ids("<end_of_turn>")
    assert target[-1] == end  # ends as a single call's target ends
    vocabulary = grammar_vocabulary(tokenizer)  # every other token is one the decoder may write
    assert all(token in vocabulary for token in target[:-1])


@pytest.mark.model
def test_tiny_run_changes_the_adapter_lowers_the_loss_and_writes_a_card(tmp_path):
    cfg = tiny_config(tmp_path, batch_size=2, val=None)
    cfg.val = cfg.data  # validate on the training examples: their loss must fall
    result = train(cfg)
    weights = lora_weights(result.adapter)
    lora_b = [w for k, w in weights.items() if "lora_B" in k]
    assert lora_b and all(float(w.abs().sum()) > 0 for w in lora_b)  # B starts at zero
    evals = [h for h in result.state.history if "val_loss" in h]
    assert len(evals) == 3
    assert evals[-1]["val_loss"] < evals[0]["val_loss"]
    losses = [h["loss"] for h in result.state.history if "loss" in h]
    assert sum(losses[-2:]) < sum(losses[:2])
    card = (result.adapter / "README.md").read_text()
    assert result.data_sha256 in card and "Gemma Terms of Use" in card and "| rank | `4` |" in card
    config = json.loads((result.adapter / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == "google/gemma-3-270m"


@pytest.mark.model
def test_lora_on_the_top_layers_only_with_the_full_output_layer_also_learns(tmp_path):
    cfg = tiny_config(tmp_path, batch_size=2, layers=2, head="full")
    cfg.val = cfg.data
    result = train(cfg)
    layers = {int(k.split(".layers.")[1].split(".")[0]) for k in lora_weights(result.adapter)}
    assert layers == {16, 17}  # Gemma 3 270M has 18 decoder layers
    evals = [h["val_loss"] for h in result.state.history if "val_loss" in h]
    assert evals[-1] < evals[0]


@pytest.mark.model
def test_bf16_autocast_trains_like_fp32_and_the_card_says_which_ran(tmp_path):
    runs = {}
    for precision in ("fp32", "bf16"):
        cfg = tiny_config(tmp_path / precision, batch_size=2, precision=precision)
        cfg.val = cfg.data
        runs[precision] = train(cfg)
    fp32, bf16 = (
        [h["val_loss"] for h in runs[p].state.history if "val_loss" in h] for p in ("fp32", "bf16")
    )
    assert bf16[-1] < bf16[0]
    # the same run in lower precision: close to fp32 at every evaluation, not identical
    assert fp32 != bf16
    assert all(abs(a - b) <= 0.05 * a + 0.02 for a, b in zip(fp32, bf16, strict=True))
    assert "cpu, bf16 autocast" in (runs["bf16"].adapter / "README.md").read_text()
    assert "cpu, fp32" in (runs["fp32"].adapter / "README.md").read_text()


@pytest.mark.model
@pytest.mark.skipif(not compiles("auto", "cpu"), reason="torch.compile needs a C++ compiler")
def test_compiled_layers_train_like_eager_layers_and_the_card_says_which_ran(tmp_path):
    from torch._dynamo.utils import counters

    runs, graphs = {}, {}
    for setting in ("off", "on"):
        counters.clear()
        cfg = tiny_config(tmp_path / setting, precision="fp32", compile=setting, epochs=1)
        runs[setting] = train(cfg)
        graphs[setting] = counters["stats"]["unique_graphs"]  # graphs torch.compile captured
    assert graphs["off"] == 0 and graphs["on"] > 0
    eager, compiled = (
        [h["loss"] for h in runs[s].state.history if "loss" in h] for s in ("off", "on")
    )
    assert compiled[-1] < compiled[0]
    # the same arithmetic, fused differently: equal to float rounding, step by step
    assert compiled == pytest.approx(eager, rel=1e-3, abs=1e-4)
    assert (runs["off"].compiled, runs["on"].compiled) == (False, True)
    assert "cpu, fp32, compiled layers" in (runs["on"].adapter / "README.md").read_text()
    assert "compiled layers" not in (runs["off"].adapter / "README.md").read_text()


def test_an_unknown_compile_setting_stops_before_the_model_loads(tmp_path):
    with pytest.raises(DataError, match="unknown compile 'yes'"):
        train(tiny_config(tmp_path, compile="yes"))
    assert not (tmp_path / "run").exists()


@pytest.mark.model
def test_a_run_cut_by_its_time_budget_says_how_to_replay_it_by_steps(tmp_path):
    cut = train(tiny_config(tmp_path / "cut", max_minutes=1e-6, precision="fp32"))
    assert (cut.stopped, cut.state.step) == ("time budget", 1)
    card = (cut.adapter / "README.md").read_text()
    assert "replace `--max-minutes 1e-06` with `--max-steps 1 --schedule-steps 12`" in card
    replay = train(
        tiny_config(tmp_path / "replay", max_steps=1, schedule_steps=12, precision="fp32")
    )
    a, b = lora_weights(cut.adapter), lora_weights(replay.adapter)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert "time budget stopped" not in (replay.adapter / "README.md").read_text()


@pytest.mark.model
def test_interrupted_run_resumes_to_the_same_adapter(tmp_path):
    straight = train(tiny_config(tmp_path / "a"))  # 3 epochs x 4 steps, never interrupted

    # The same run as a real process, stopped by Ctrl-C (SIGINT) after its first step.
    cut = tiny_config(tmp_path / "b")
    command = [sys.executable, "-m", "finetune", "train", "--val", "", "--quiet"]
    keys = ("data", "out", "epochs", "batch_size", "rank", "alpha", "lr", "warmup_steps", "compile",
            "layers", "ema", "eval_every", "val_limit", "patience", "max_minutes")  # fmt: skip
    for key in keys:
        command += ["--" + key.replace("_", "-"), str(getattr(cut, key))]
    # Ctrl-C as at a terminal, even where this suite runs in the background (a shell starts
    # background jobs with SIGINT ignored, and the child would inherit that and never stop).
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    log = Path(cut.out) / "log.jsonl"
    deadline = time.monotonic() + 120
    while not (log.exists() and log.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "--resume" in err
    saved = torch.load(Path(cut.out) / "checkpoint" / "trainer_state.pt", weights_only=False)
    assert 1 <= saved["state"]["step"] < 12

    with pytest.raises(DataError, match="batch_size was 1 in the checkpoint, now 2"):
        train(replace(cut, resume=True, batch_size=2))
    resumed = train(replace(cut, resume=True))
    assert resumed.state.step == 12 and resumed.stopped == "epochs"
    a, b = lora_weights(straight.adapter), lora_weights(resumed.adapter)
    assert a.keys() == b.keys()
    for key in a:
        assert (a[key] - b[key]).abs().max() < 1e-5, key


@pytest.mark.model
def test_the_weight_average_is_what_is_saved_and_it_survives_a_resume(tmp_path):
    straight = train(tiny_config(tmp_path / "a", epochs=2, ema=0.5))  # 2 epochs x 4 steps
    run = Path(straight.adapter).parent
    saved, live = lora_weights(straight.adapter), lora_weights(run / "checkpoint")
    assert any(not torch.equal(saved[k], live[k]) for k in saved)  # the average, not the last
    checkpoint = torch.load(run / "checkpoint" / "trainer_state.pt", weights_only=False)
    assert checkpoint["ema"]["updates"] == 8

    cut = tiny_config(tmp_path / "b", epochs=2, ema=0.5, max_steps=3, schedule_steps=8)
    assert train(cut).stopped == "step limit"
    resumed = train(replace(cut, resume=True, max_steps=0))
    assert resumed.state.step == 8
    a, b = lora_weights(straight.adapter), lora_weights(resumed.adapter)
    for key in a:
        assert (a[key] - b[key]).abs().max() < 1e-5, key


def test_card_subcommand_puts_evaluation_figures_into_the_card(tmp_path, capsys):
    from finetune.training.card import EVAL_END, EVAL_START

    (tmp_path / "README.md").write_text(f"# card\n\n{EVAL_START}\nNot measured yet.\n{EVAL_END}\n")
    run = {"model": "local-ft", "suite": "reject", "n": 111, "name_match": 0.991,
           "call_match": 0.982, "valid": 1.0, "executed_match": 0.982, "reject_recall": 0.973,
           "latency_ms_p50": 212.0, "tokens_avg": 31.0}  # fmt: skip
    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps({"date": "2026-11-26", "runs": [run]}))
    assert main(["card", str(tmp_path), "--evaluation", str(summary)]) == 0
    assert main(["card", str(tmp_path), "--evaluation", str(summary)]) == 0  # replaces, no repeat
    card = (tmp_path / "README.md").read_text()
    assert (
        "| local-ft | reject | 111 | 99.1% | 98.2% | 100.0% | 98.2% | 97.3% | 212 ms | 31 |" in card
    )
    assert card.count("| local-ft | reject |") == 1 and "Not measured yet" not in card
    assert (
        main(["card", str(tmp_path), "--evaluation", str(tmp_path / "none.json")]) == 2
    )  # bad usage
    assert "none.json is missing" in capsys.readouterr().err
