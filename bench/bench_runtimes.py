"""Benchmark section: our decoders beside llama.cpp, and fp32 beside int8, on the same prompts.

Two measurements, each in one process with the runtimes interleaved prompt by prompt (the
machine is shared, so a slow minute hits every runtime alike), with the load average before and
after:

- `run` (the `runtimes` section): the positive suite through our grammar decoder (int8, the
  default, and fp32) and through llama.cpp (llama-cpp-python) on the GGUF that
  `python -m finetune export` writes, without a grammar and with a GBNF grammar generated from
  `copilot.decoding.grammar`'s skeletons; p50, p90, prefill and decode tokens/s and call match per
  runtime, and the ratio to llama.cpp. Skipped, with one line, when llama_cpp is not installed
  (`pip install -e '.[llamacpp]'`).
- `paired` (`python bench/bench_runtimes.py --paired SUITE...`): fp32 against int8 per case on
  suites and generated files: call match of each, the cases that flip either way, identical
  outputs, and latency. The default decoder is chosen on this table (docs/decoding.md).

    python -m bench --only runtimes --output /tmp/r.json
    python bench/bench_runtimes.py --paired all data-plans2/val.jsonl --limit 1000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from copilot import ADAPTER_DIR, LocalBackend, render_ft_prompt  # noqa: E402
from copilot.decoding.grammar import Slot, skeletons  # noqa: E402
from evaluation.scoring import call_match, percentile  # noqa: E402
from evaluation.suites import load_suite, resolve_suites  # noqa: E402

EXPORT_DIR = ROOT / "runs" / "export"  # the exported GGUF, rebuilt when the adapter is newer
NUMBER = {
    "int": '"-"? [0-9] [0-9]? [0-9]? [0-9]? ([*/-] [1-9] [0-9]? [0-9]? [0-9]?)?',
    "float": '"-"? [0-9] [0-9]? [0-9]? ("." [0-9] [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]?)?',
}


def gbnf() -> str:
    """A GBNF grammar of 1 to 4 calls, one a line, from the decoder's own skeletons (number
    ranges are not expressible in GBNF: any 1-4 digit number or one operation is let through)."""
    calls = []
    for skeleton in skeletons():
        parts = [f"num{seg.kind}" if isinstance(seg, Slot) else json.dumps(seg) for seg in skeleton]
        calls.append(" ".join(parts))
    lines = [
        'root ::= call ("\\n" call)? ("\\n" call)? ("\\n" call)?',
        "call ::= " + " | ".join(f"( {c} )" for c in calls),
        f"numint ::= {NUMBER['int']}",
        f"numfloat ::= {NUMBER['float']}",
    ]
    return "\n".join(lines) + "\n"


def exported_gguf(quant: str = "q8_0") -> Path:
    """The merged GGUF of the shipped adapter, exported once (again when the adapter changes)."""
    from finetune.training.export import export

    target = EXPORT_DIR / f"drone-{quant}.gguf"
    adapter_time = max(p.stat().st_mtime for p in ADAPTER_DIR.glob("adapter_*"))
    if not target.exists() or target.stat().st_mtime < adapter_time:
        export(ADAPTER_DIR, target, quant)
    return target


class Timed:
    """Our backend, with the first forward of each request (the prompt) timed apart."""

    def __init__(self, label: str, fast: str) -> None:
        self.label = label
        self.backend = LocalBackend(name="local-ft", style="ft", adapter=ADAPTER_DIR, fast=fast)
        engine = self.backend.load()
        self.prefill: list[tuple[int, float]] = []
        self.decode: list[tuple[int, float]] = []
        runner, forward = engine.runner, engine.runner.forward
        first = [True]

        def timed(ids: Any) -> Any:
            started = time.perf_counter()
            out = forward(ids)
            spent = time.perf_counter() - started
            (self.prefill if first[0] else self.decode).append((len(ids), spent))
            first[0] = False
            return out

        runner.forward = timed
        self._first = first

    def answer(self, messages: list[dict[str, Any]]) -> tuple[Any, float]:
        self._first[0] = True
        done = self.backend.complete(messages)
        return done, done.latency_ms


class LlamaCpp:
    """llama.cpp on the exported GGUF, with or without the GBNF grammar; greedy, 2 threads."""

    def __init__(self, label: str, path: Path, grammar: bool) -> None:
        import llama_cpp

        self.label, self.llama_cpp = label, llama_cpp
        self.model = llama_cpp.Llama(
            str(path), n_ctx=1024, n_threads=os.cpu_count() or 2, verbose=False
        )
        self.grammar = (
            llama_cpp.LlamaGrammar.from_string(gbnf(), verbose=False) if grammar else None
        )
        self.prefill: list[tuple[int, float]] = []
        self.decode: list[tuple[int, float]] = []

    def answer(self, messages: list[dict[str, Any]]) -> tuple[Any, float]:
        from copilot import Completion

        llama_cpp, ctx = self.llama_cpp, self.model._ctx.ctx
        ids = self.model.tokenize(render_ft_prompt(messages).encode(), add_bos=True, special=True)
        llama_cpp.llama_perf_context_reset(ctx)
        started = time.perf_counter()
        out = self.model.create_completion(
            ids, max_tokens=64, temperature=0.0, stop=["<end_of_turn>"], grammar=self.grammar
        )
        latency = (time.perf_counter() - started) * 1000
        perf = llama_cpp.llama_perf_context(ctx)
        self.prefill.append((perf.n_p_eval, perf.t_p_eval_ms / 1000))
        self.decode.append((perf.n_eval, perf.t_eval_ms / 1000))
        text = out["choices"][0]["text"].split("<end_of_turn>")[0].strip()
        return Completion.from_output(text, latency_ms=latency), latency


def _smoke(path: Path) -> str | None:
    """One token decoded by llama.cpp in a child process: a build that crashes on this CPU
    (seen here: a segmentation fault in llama_decode) must not take the bench down with it."""
    import subprocess

    script = (
        "import sys, llama_cpp\n"
        "m = llama_cpp.Llama(sys.argv[1], n_ctx=256, verbose=False)\n"
        "m.create_completion('hello', max_tokens=1)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, timeout=300
    )
    if done.returncode != 0:
        return f"llama_cpp fails on this machine (exit {done.returncode}): runtimes section skipped"
    return None


def _rate(pairs: list[tuple[int, float]]) -> float | None:
    tokens, seconds = sum(n for n, _ in pairs), sum(s for _, s in pairs)
    return round(tokens / seconds, 1) if seconds else None


def interleave(runtimes: list[Any], cases: list[Any]) -> dict[str, dict[str, Any]]:
    """Every case through every runtime, the order rotating per case; figures per runtime."""
    latencies: dict[str, list[float]] = {r.label: [] for r in runtimes}
    matches: dict[str, list[bool]] = {r.label: [] for r in runtimes}
    texts: dict[str, list[str]] = {r.label: [] for r in runtimes}
    for i, case in enumerate(cases):
        order = runtimes[i % len(runtimes) :] + runtimes[: i % len(runtimes)]
        for runtime in order:
            done, latency = runtime.answer(case.messages(None))
            latencies[runtime.label].append(latency)
            matches[runtime.label].append(call_match(case.plans, done))
            texts[runtime.label].append(done.raw)
    return {
        r.label: {
            "n": len(cases),
            "p50_ms": round(statistics.median(latencies[r.label]), 1),
            "p90_ms": round(percentile(latencies[r.label], 90), 1),
            "prefill_tok_s": _rate(r.prefill),
            "decode_tok_s": _rate(r.decode),
            "call_match": round(sum(matches[r.label]) / len(cases), 4),
            "matches": matches[r.label],
            "texts": texts[r.label],
        }
        for r in runtimes
    }


def run(quick: bool = False) -> dict[str, Any]:
    """The `runtimes` section: rows for the results table (none but a note without llama_cpp)."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        note = "llama_cpp not installed (pip install -e '.[llamacpp]'): runtimes section skipped"
        print(note)
        return {"rows": [_row("runtimes: skipped", note, "")], "skipped": note}
    path = exported_gguf()
    crash = _smoke(path)
    if crash:
        print(crash)
        return {"rows": [_row("runtimes: skipped", crash, "")], "skipped": crash}
    cases = list(load_suite(ROOT / "evaluation" / "suites" / "positive.jsonl").cases)
    cases = cases[:40] if quick else cases
    before = os.getloadavg()
    runtimes = [
        Timed("ours int8", "int8"),
        Timed("ours fp32", "fp32"),
        LlamaCpp("llama.cpp Q8_0", path, grammar=False),
        LlamaCpp("llama.cpp Q8_0 + GBNF", path, grammar=True),
    ]
    figures = interleave(runtimes, cases)
    after = os.getloadavg()
    ours = figures["ours int8"]["p50_ms"]
    rows = []
    for label, f in figures.items():
        rows.append(_row(f"runtimes: {label} p50 / p90", f"{f['p50_ms']} / {f['p90_ms']}", "ms"))
        rows.append(_row(f"runtimes: {label} call match", f"{100 * f['call_match']:.1f}", "%"))
        rows.append(
            _row(
                f"runtimes: {label} prefill / decode",
                f"{f['prefill_tok_s']} / {f['decode_tok_s']}",
                "tok/s",
            )
        )
    for label in ("llama.cpp Q8_0", "llama.cpp Q8_0 + GBNF"):
        ratio = round(figures[label]["p50_ms"] / ours, 2)
        rows.append(_row(f"runtimes: {label} p50 / ours int8 p50", ratio, "x"))
    load = f"{before[0]:.2f} before, {after[0]:.2f} after"
    rows.append(_row("runtimes: load average (1 min)", load, ""))
    summary = {
        k: {x: y for x, y in f.items() if x not in ("matches", "texts")} for k, f in figures.items()
    }
    print(json.dumps(summary, indent=1))
    return {"rows": rows, "runtimes": summary, "load": [before, after], "cases": len(cases)}


def _row(figure: str, value: Any, unit: str) -> dict[str, Any]:
    return {"figure": figure, "value": value, "unit": unit, "anchor": "", "target": "", "ok": None}


def paired(specs: list[str], limit: int | None) -> dict[str, Any]:
    """fp32 against int8 on each suite: per-case call match, flips and identical outputs."""
    runtimes = [Timed("int8", "int8"), Timed("fp32", "fp32")]
    before, out = os.getloadavg(), {}
    for path in resolve_suites(specs):
        cases = list(load_suite(path).cases)[:limit]
        f = interleave(runtimes, cases)
        a, b = f["fp32"], f["int8"]
        out[path.stem] = {
            "n": len(cases),
            "fp32_call_match": a["call_match"],
            "int8_call_match": b["call_match"],
            "difference_points": round(100 * (b["call_match"] - a["call_match"]), 2),
            "fp32_only": sum(x and not y for x, y in zip(a["matches"], b["matches"], strict=True)),
            "int8_only": sum(y and not x for x, y in zip(a["matches"], b["matches"], strict=True)),
            "identical_outputs": sum(x == y for x, y in zip(a["texts"], b["texts"], strict=True)),
            "fp32_p50_ms": a["p50_ms"],
            "int8_p50_ms": b["p50_ms"],
        }
        print(json.dumps({path.stem: out[path.stem]}), flush=True)
    return {"suites": out, "load": [before, os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Our decoders beside llama.cpp; fp32 beside int8, case by case.",
        epilog="examples:\n  python bench/bench_runtimes.py --quick\n"
        "  python bench/bench_runtimes.py --paired all data-plans2/val.jsonl --limit 1000\n"
        "  python bench/bench_runtimes.py --gbnf > call.gbnf",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="40 prompts")
    parser.add_argument("--paired", nargs="+", metavar="SUITE", help="fp32 vs int8 per case")
    parser.add_argument("--limit", type=int, help="--paired: at most this many cases a suite")
    parser.add_argument("--gbnf", action="store_true", help="print the GBNF grammar and exit")
    args = parser.parse_args(argv)
    if args.gbnf:
        sys.stdout.write(gbnf())
        return 0
    if args.paired:
        print(json.dumps(paired(args.paired, args.limit), indent=1))
        return 0
    run(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
