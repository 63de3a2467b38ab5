"""Benchmark: nothing breaks, nothing is lost, nothing leaks.

- the parser on fuzzed model outputs (nesting, repetition, huge numbers, NaN, near-calls): crashes
  and invalid calls let out; and its time on 300 KB of adversarial output, the worst of nine shapes;
- our server (real uvicorn, loopback) sent every kind of malformed request in `bench/hostile.py`
  many times: the 5xx answers, and the 4xx without OpenAI's error shape;
- `python -m evaluation` killed with SIGKILL at seeded points and resumed with `--resume DIR`
  alone: cases lost, duplicated or changed against an uninterrupted run;
- a fault-injecting OpenAI-compatible server (429, 5xx, reset, hang, malformed body, empty
  choices, bad arguments) through our OpenAI backend: the fault kinds survived, with every case
  answered or recorded as an error within the retry bound.

    python -m bench --only reliability [--quick] --output /tmp/reliability.json
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bench.fault_server import FAULT_KINDS, RECOVERS, FaultServer, fault_prompt  # noqa: E402
from bench.hostile import (  # noqa: E402
    ADVERSARIAL_300KB,
    MALFORMED,
    kill_and_resume,
    send_malformed,
)
from copilot import (  # noqa: E402
    FUNCTION_NAMES,
    Completion,
    OpenAIBackend,
    ReplayBackend,
    ToolCall,
    validate_call,
)
from copilot.parsing import ScanCost, parse_output  # noqa: E402
from copilot.serve import create_app, running_server  # noqa: E402

FRAGMENTS = [
    *"{}[]()\"'\\\n,:=",
    *FUNCTION_NAMES,
    '"name"', '"arguments"', '"altitude"', '"mode"', "mode=photo", "```json", "<end_of_turn>",
    "NaN", "Infinity", "-Infinity", "1e999", "1" * 400, "10**10**10", "-0", "None", "tool_calls",
]  # fmt: skip


def fuzzed_output(rng: random.Random) -> str:
    """One adversarial model output: fragment soup, deep nesting, repetition or a near-call."""
    kind = rng.randrange(4)
    if kind == 0:
        return "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 80)))
    if kind == 1:
        depth = rng.randint(1, 3000)
        opener = rng.choice(["{", "[", "(", '{"a":', '["]",', "takeoff_drone(", "[{"])
        return opener * depth + rng.choice(["", "}", "]", ")", "}]"]) * rng.randint(0, depth)
    if kind == 2:
        unit = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 6)))
        return unit * rng.randint(1, 1500)
    name = rng.choice([*FUNCTION_NAMES, "takeoff"])
    key = rng.choice(["altitude", "mode", "distance", "tilt", "pan", "coordinates", "speed"])
    value = rng.choice(['"photo"', "{}", "[]", "NaN", "1e999", str(rng.randint(-(10**9), 10**9))])
    if rng.random() < 0.5:
        return f"{name}({key}={value})"
    return json.dumps({"name": name, "arguments": f'{{"{key}": {value}}}'})


def fuzz_parser(n: int, seed: int = 0) -> dict[str, int]:
    """Parse `n` fuzzed outputs: crashes (an exception out of the parser) and invalid calls."""
    rng = random.Random(seed)
    crashes = invalid = calls = 0
    for _ in range(n):
        text = fuzzed_output(rng)
        try:
            completion = Completion.from_output(text)
        except Exception:
            crashes += 1
            continue
        calls += len(completion.calls)
        for call in completion.calls:
            again = validate_call(call.name, call.arguments)
            invalid += not isinstance(again, ToolCall) or again.arguments != call.arguments
    return {"outputs": n, "crashes": crashes, "invalid_calls": invalid, "valid_calls": calls}


def parser_300kb() -> dict[str, Any]:
    """The slowest of the 300 KB shapes, with the output cap off (the algorithm) and on."""
    worst: dict[str, Any] = {"seconds": 0.0, "capped_seconds": 0.0, "reads_per_char": 0.0}
    for label, text in ADVERSARIAL_300KB.items():
        cost = ScanCost()
        start = time.perf_counter()
        parse_output(text, max_chars=None, cost=cost)
        seconds = time.perf_counter() - start
        if seconds > worst["seconds"]:
            worst.update(seconds=seconds, shape=label)
        worst["reads_per_char"] = max(worst["reads_per_char"], cost.chars / len(text))
        start = time.perf_counter()
        parse_output(text)
        worst["capped_seconds"] = max(worst["capped_seconds"], time.perf_counter() - start)
    return worst


def malformed(per_kind: int) -> dict[str, Any]:
    recording = ROOT / "evaluation" / "examples" / "plans_answers.jsonl"
    with running_server(create_app(ReplayBackend(recording), "drone-test")) as url:
        tally = send_malformed(url, per_kind=per_kind)
    return {
        "sent": tally.sent,
        "kinds": len(MALFORMED),
        "server_errors": len(tally.server_errors),
        "unshaped": len(tally.unshaped),
        "statuses": dict(sorted(tally.statuses.items())),
    }


def faults() -> dict[str, Any]:
    """Each fault kind once (recovered on retry where it is retryable) and always (bounded)."""
    survived, attempts = [], {}
    with FaultServer(hang_s=1.5) as server:
        backend = OpenAIBackend("faulty", base_url=server.url, api_key="unused", timeout=0.3,
                                backoff_initial=0.01, backoff_max=0.05)  # fmt: skip
        for kind in FAULT_KINDS:
            once = backend.complete([{"role": "user", "content": fault_prompt(kind, 1)}])
            always = backend.complete([{"role": "user", "content": fault_prompt(kind, 99)}])
            tries = server.hits[fault_prompt(kind, 99)]
            attempts[kind] = tries
            recovered = once.ok if kind in RECOVERS else bool(once.error) and not once.calls
            bounded = tries <= backend.max_attempts and bool(always.error) and not always.calls
            if recovered and bounded:
                survived.append(kind)
    return {"kinds": len(FAULT_KINDS), "survived": survived, "attempts": attempts}


def run(quick: bool = False) -> dict[str, Any]:
    fuzz = fuzz_parser(10_000 if quick else 100_000)
    timing = parser_300kb()
    requests = malformed(2 if quick else 14)
    with tempfile.TemporaryDirectory() as scratch:
        kills = kill_and_resume(Path(scratch), cases=3000, kills=6, seed=24)
    fault = faults()
    broken = kills.lost + kills.duplicated + kills.changed
    rows = [
        {"figure": "fuzzed model outputs: parser crashes / invalid calls let out",
         "value": f"{fuzz['crashes']} / {fuzz['invalid_calls']} of {fuzz['outputs']:,}",
         "anchor": "probe: 100,000 outputs, 0 crashes", "target": "0 / 0",
         "ok": fuzz["crashes"] == 0 and fuzz["invalid_calls"] == 0},
        {"figure": f"parser, 300 KB adversarial output (worst of {len(ADVERSARIAL_300KB)} shapes, no cap)",
         "value": round(timing["seconds"] * 1000, 1), "unit": "ms",
         "anchor": "before: '{'*300,000 14 s; 140 KB of call prefixes 79 s", "target": "< 1 s",
         "ok": timing["seconds"] < 1.0},
        {"figure": "parser, characters read per character of output (worst shape)",
         "value": round(timing["reads_per_char"], 2), "anchor": "", "target": "≤ 5 (linear)",
         "ok": timing["reads_per_char"] <= 5},
        {"figure": "malformed server requests: 5xx / 4xx without OpenAI's error shape",
         "value": f"{requests['server_errors']} / {requests['unshaped']} of {requests['sent']:,} "
                  f"({requests['kinds']} kinds)",
         "anchor": "before: 500 on nested JSON", "target": "0 of ≥ 1,000 (≥ 50 kinds)",
         "ok": requests["server_errors"] == 0 and requests["unshaped"] == 0
         and (quick or (requests["sent"] >= 1000 and requests["kinds"] >= 50))},
        {"figure": "kill -9 then --resume DIR alone: cases lost / duplicated / changed",
         "value": f"{kills.lost} / {kills.duplicated} / {kills.changed} of {kills.cases:,} "
                  f"({kills.kills} kills)",
         "anchor": "before: --resume alone ran the defaults into the run", "target": "0 / 0 / 0",
         "ok": broken == 0 and kills.summary_equal and kills.kills > 0},
        {"figure": "fault kinds survived (bounded retries, every case answered or recorded)",
         "value": f"{len(fault['survived'])} of {fault['kinds']}",
         "anchor": "429, 500, 503, reset, hang, malformed, empty choices, bad arguments",
         "target": f"{fault['kinds']} of {fault['kinds']}, ≤ 4 attempts",
         "ok": len(fault["survived"]) == fault["kinds"]},
    ]  # fmt: skip
    details = {"fuzz": fuzz, "parser_300kb": timing, "malformed": requests,
               "kills": vars(kills), "faults": fault}  # fmt: skip
    return {"rows": rows, "details": details}


if __name__ == "__main__":
    from rich.console import Console

    Console().print_json(json.dumps(run(quick="--quick" in sys.argv)))
