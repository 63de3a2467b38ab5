"""Benchmark section: the backends' speed and size on this machine.

Per model (`local-base`, `local-ft`, any other registry name): p50/p95 latency per command, tokens
per request (prompt + completion, as the cookbook counts them), forward passes per command, peak
RSS, and the warm load time (from the safetensors cache). Once: the first-ever load (the packaged
GGUF converted into an empty cache directory). Each model runs in its own process, so load time
and peak memory are its own.

The decoding ladder (full run only) measures what made local decoding fast, one change at a time,
on the `local-ft` prompt format: transformers `generate` -> grammar-constrained decoding on the
transformers forward -> the lean fp32 forward -> int8 weights.

If the trained adapter is missing, `local-ft` is measured on the base weights with its prompt
format and decoder (speed does not depend on the weights' values) and the row says so.

`python -m bench --only backends [--quick]`, or `python bench/bench_backends.py [--quick]`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

SUITES = ROOT / "evaluation" / "suites"
TARGET_P50_MS, TARGET_TOKENS = 60.0, 120.0  # the seed's 20 prompts
TARGET_POSITIVE_P50_MS, TARGET_POSITIVE_P90_MS = 100.0, 150.0  # the headline: real commands
TARGET_COLD_S, TARGET_RSS_MB = 2.0, 600.0  # `python -m copilot ask`, model cache warm
ANCHOR_MS = "gpt-3.5: 610-827 ms, ft 3519 ms"
ANCHOR_TOKENS = "792 (base), 457 (ft)"
LADDER = [  # (label, LocalBackend settings): each step changes one thing
    ("transformers generate (baseline)", {"decoder": "generate", "max_new_tokens": 40}),
    ("+ grammar decoding (transformers forward)", {"decoder": "grammar", "fast": None}),
    ('+ lean Gemma forward, fp32 (option: fast="fp32")', {"decoder": "grammar", "fast": "fp32"}),
    ("+ int8 lean runtime (the default)", {"decoder": "grammar", "fast": "int8"}),
]


def positive_cases() -> list[tuple[str, str]]:
    """(prompt, expected function) for the positive suite: 178 real commands."""
    lines = (SUITES / "positive.jsonl").read_text().splitlines()
    cases = [json.loads(line) for line in lines if line]
    return [(c["prompt"], (c.get("expected") or c["expected_plans"][0])[0]["name"]) for c in cases]


def cold_ask(times: int = 3) -> dict[str, float]:
    """Wall seconds (median) and peak RSS (MiB, max) of `python -m copilot ask` in a new process.

    A wrapper process runs it, so the RSS is the ask's alone (RUSAGE_CHILDREN keeps the largest
    child ever waited for, and this process has run the workers)."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "started = time.perf_counter()\n"
        "subprocess.run([sys.executable, '-m', 'copilot', 'ask', 'take off to 30 metres',"
        " '--json'], capture_output=True, check=True)\n"
        "print(time.perf_counter() - started,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
    )
    walls, peak = [], 0.0
    for _ in range(times):
        done = subprocess.run(
            [sys.executable, "-c", wrapper], cwd=ROOT, capture_output=True, text=True, timeout=600
        )
        wall, rss = (float(x) for x in done.stdout.split())
        walls.append(wall)
        peak = max(peak, rss)
    return {"wall_s": round(statistics.median(walls), 2), "peak_rss_mb": round(peak, 1)}


def seed_prompts() -> list[str]:
    """The seed's 20 prompts (straightforward + challenging), from the evaluation suites."""
    prompts = []
    for name in ("straightforward", "challenging"):
        path = SUITES / f"{name}.jsonl"
        if path.exists():
            prompts += [
                json.loads(line)["prompt"] for line in path.read_text().splitlines() if line
            ]
    return prompts or ["Take off the drone to 50 meters", "Land the drone at the home base"]


# --------------------------------------------------------------------------- worker (one process)


def _backend(model: str, settings: dict[str, Any]) -> tuple[Any, str]:
    from copilot import ModelUnavailable, get_backend

    try:
        return get_backend(model, **settings), ""
    except ModelUnavailable as exc:
        if model != "local-ft":
            raise
        from copilot import LocalBackend

        note = f"no adapter: base weights, ft format ({str(exc).split(':')[0]})"
        return LocalBackend(name="local-ft", style="ft", **settings), note


def worker(model: str, settings: dict[str, Any], prompts: list[str], repeats: int) -> dict:
    """Load one model, answer every prompt `repeats` times; all figures of one process."""
    from copilot import DEFAULT_SYSTEM_PROMPT

    start = time.perf_counter()
    backend, note = _backend(model, settings)
    if hasattr(backend, "load"):
        backend.load()
    load_s = time.perf_counter() - start
    engine = getattr(backend, "_engine", None)
    latencies, tokens, forwards, errors = [], [], [], 0
    for _ in range(repeats):
        for prompt in prompts:
            before = getattr(engine, "forwards", 0)
            messages = [
                {"role": "system", "content": DEFAULT_SYSTEM_PROMPT},
                {"role": "user", "content": prompt},
            ]
            done = backend.complete(messages)
            latencies.append(done.latency_ms)
            tokens.append(done.prompt_tokens + done.completion_tokens)
            forwards.append(getattr(engine, "forwards", 0) - before)
            errors += done.error is not None
    return {
        "model": model,
        "note": note,
        "identity": backend.identity,
        "load_s": round(load_s, 2),
        "n": len(latencies),
        "latency_ms_p50": round(statistics.median(latencies), 1),
        "latency_ms_p95": round(_percentile(latencies, 95), 1),
        "latency_ms_p90": round(_percentile(latencies, 90), 1),
        "latencies": [round(x, 2) for x in latencies],
        "tokens_avg": round(statistics.mean(tokens), 1),
        "forwards_avg": round(statistics.mean(forwards), 2) if engine is not None else None,
        "errors": errors,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _in_process(model: str, settings: dict, prompts: list[str], repeats: int, env=None) -> dict:
    """Run `worker` in a fresh Python process and return its figures."""
    spec = json.dumps(
        {"model": model, "settings": settings, "prompts": prompts, "repeats": repeats}
    )
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", spec],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=3600,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"model": model, "error": tail[:200]}
    return json.loads(lines[-1])


def first_load_s() -> float | None:
    """Seconds for the first-ever load: GGUF -> safetensors into an empty cache, then load."""
    with tempfile.TemporaryDirectory(prefix="drone-copilot-cache-") as cache:
        result = _in_process("local-base", {}, ["Take off"], 1, env={"DRONE_COPILOT_CACHE": cache})
    return result.get("load_s")


# --------------------------------------------------------------------------- the section


def run(quick: bool = False, models: list[str] | None = None) -> dict[str, Any]:
    """Measure every model; print the table; return `{"rows": [...], "models": [...], ...}`."""
    models = models or ["local-base", "local-ft"]
    prompts = seed_prompts()
    repeats = 1 if quick else 3
    results = [_in_process(m, {}, prompts, repeats) for m in models]
    ladder = []
    if not quick:
        for label, settings in LADDER:  # the slow baseline once, the others twice
            times = 1 if settings["decoder"] == "generate" else 2
            figures = _in_process("local-ft", settings, prompts, times)
            ladder.append({"step": label, **figures})
    first = None if quick else first_load_s()
    positive = _positive(quick)
    cold = cold_ask(1 if quick else 3)
    rows = _headline_rows(positive, cold) + _rows(results, ladder, first)
    _print(results, ladder, first)
    print(json.dumps({"positive": {k: v for k, v in positive.items() if k != "latencies"},
                      "cold_ask": cold}))  # fmt: skip
    for r in [*results, *ladder]:
        r.pop("latencies", None)
    positive.pop("latencies", None)
    return {"rows": rows, "models": results, "ladder": ladder, "first_load_s": first,
            "positive": positive, "cold_ask": cold}  # fmt: skip


def _positive(quick: bool) -> dict[str, Any]:
    """local-ft on the positive suite, with each function's p50 latency."""
    cases = positive_cases()[: 40 if quick else None]
    figures = _in_process("local-ft", {}, [p for p, _ in cases], 1)
    if "latencies" not in figures:
        return figures
    by_function: dict[str, list[float]] = {}
    for (_, name), latency in zip(cases, figures["latencies"], strict=True):
        by_function.setdefault(name, []).append(latency)
    figures["by_function"] = {
        name: {"n": len(xs), "p50_ms": round(statistics.median(xs), 1)}
        for name, xs in sorted(by_function.items(), key=lambda kv: statistics.median(kv[1]))
    }
    return figures


def _headline_rows(positive: dict[str, Any], cold: dict[str, float]) -> list[dict]:
    """The headline: real commands (the positive suite), then cold start and memory."""
    if "error" in positive:
        return [
            _row("local-ft positive suite: could not run", positive["error"], "", "", "", False)
        ]
    p50, p90 = positive["latency_ms_p50"], positive["latency_ms_p90"]
    rows = [
        _row("local-ft latency p50, positive suite (real commands)", p50, "ms", "fp32 runtime: 377 ms",
             f"<= {TARGET_POSITIVE_P50_MS:.0f} ms", p50 <= TARGET_POSITIVE_P50_MS),
        _row("local-ft latency p90, positive suite", p90, "ms", "fp32 runtime: 570 ms",
             f"<= {TARGET_POSITIVE_P90_MS:.0f} ms", p90 <= TARGET_POSITIVE_P90_MS),
    ]  # fmt: skip
    for name, f in positive.get("by_function", {}).items():
        rows.append(_row(f"local-ft p50, positive suite: {name} (n={f['n']})", f["p50_ms"], "ms",
                         "", "", None))  # fmt: skip
    rows += [
        _row("cold python -m copilot ask (model cache warm)", cold["wall_s"], "s", "via transformers: 9.3 s",
             f"<= {TARGET_COLD_S:.0f} s", cold["wall_s"] <= TARGET_COLD_S),
        _row("peak RSS of python -m copilot ask, local-ft", cold["peak_rss_mb"], "MiB",
             "fp32: 2,057 MiB; llama.cpp 414 MiB", f"<= {TARGET_RSS_MB:.0f} MiB",
             cold["peak_rss_mb"] <= TARGET_RSS_MB),
    ]  # fmt: skip
    return rows


def _rows(results: list[dict], ladder: list[dict], first: float | None) -> list[dict]:
    rows = []
    by_model = {r["model"]: r for r in results}
    for r in results:
        if "error" in r:
            rows.append(_row(f"{r['model']}: could not run", r["error"], "", "", "", False))
            continue
        local_ft = r["model"] == "local-ft"
        p50_ok = r["latency_ms_p50"] <= TARGET_P50_MS if local_ft else None
        tok_ok = r["tokens_avg"] <= TARGET_TOKENS if local_ft else None
        suffix = " (base weights, ft format)" if r.get("note") else ""
        name = r["model"] + suffix
        target_ms = f"<= {TARGET_P50_MS:.0f} ms" if local_ft else ""
        target_tokens = f"<= {TARGET_TOKENS:.0f}" if local_ft else ""
        rows += [
            _row(
                f"{name} latency p50, seed's 20 prompts",
                r["latency_ms_p50"],
                "ms",
                ANCHOR_MS,
                target_ms,
                p50_ok,
            ),
            _row(f"{name} latency p95", r["latency_ms_p95"], "ms", "", "", None),
            _row(
                f"{name} tokens per request",
                r["tokens_avg"],
                "tokens",
                ANCHOR_TOKENS,
                target_tokens,
                tok_ok,
            ),
            _row(f"{name} peak RSS", r["peak_rss_mb"], "MiB", "", "", None),
            _row(f"{name} warm load", r["load_s"], "s", "~3.5 s (safetensors copy)", "", None),
        ]
    base, ft = by_model.get("local-base", {}), by_model.get("local-ft", {})
    if base.get("latency_ms_p50") and ft.get("latency_ms_p50"):
        ratio = round(ft["latency_ms_p50"] / base["latency_ms_p50"], 2)
        rows.append(_row("local-ft / local-base p50 latency", ratio, "x", "", "", None))
    if first is not None:
        rows.append(
            _row("first-ever load (GGUF -> cache)", first, "s", "~60 s GGUF read", "", None)
        )
    for step in ladder:
        if "latency_ms_p50" in step:
            rows.append(
                _row(f"ladder: {step['step']}", step["latency_ms_p50"], "ms p50", "", "", None)
            )
    return rows


def _row(figure: str, value: Any, unit: str, anchor: str, target: str, ok: bool | None) -> dict:
    return {
        "figure": figure,
        "value": value,
        "unit": unit,
        "anchor": anchor,
        "target": target,
        "ok": ok,
    }


def _print(results: list[dict], ladder: list[dict], first: float | None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="backends (seed prompts)")
    for col in ("model", "p50 ms", "p95 ms", "tokens/req", "forwards/cmd", "peak RSS MiB",
                "warm load s", "errors", "note"):  # fmt: skip
        table.add_column(col)
    for r in results:
        if "error" in r:
            table.add_row(r["model"], *["-"] * 7, r["error"])
            continue
        table.add_row(r["model"], str(r["latency_ms_p50"]), str(r["latency_ms_p95"]),
                      str(r["tokens_avg"]), str(r["forwards_avg"]), str(r["peak_rss_mb"]),
                      str(r["load_s"]), f"{r['errors']}/{r['n']}", r.get("note", ""))  # fmt: skip
    console = Console(width=max(Console().width, 150))
    console.print(table)
    if ladder:
        steps = Table(title="decoding ladder: local-ft format, one change at a time")
        for col in ("step", "p50 ms", "p95 ms", "forwards/cmd", "tokens/req"):
            steps.add_column(col)
        for s in ladder:
            steps.add_row(s["step"], str(s.get("latency_ms_p50", s.get("error"))),
                          str(s.get("latency_ms_p95", "-")), str(s.get("forwards_avg", "-")),
                          str(s.get("tokens_avg", "-")))  # fmt: skip
        console.print(steps)
    if first is not None:
        console.print(f"first-ever load (GGUF -> safetensors cache, then load): {first} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Backend latency, tokens, memory and load time.",
        epilog="examples:\n  python bench/bench_backends.py --quick\n"
        "  python bench/bench_backends.py --model local-ft --model gpt-4o-mini",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="one pass, no ladder or first load")
    parser.add_argument("--model", action="append", help="a registry name (repeatable)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        spec = json.loads(args.worker)
        print(json.dumps(worker(spec["model"], spec["settings"], spec["prompts"], spec["repeats"])))
        return 0
    result = run(args.quick, args.model)
    return 1 if any("error" in r for r in result["models"]) else 0


if __name__ == "__main__":
    sys.exit(main())
