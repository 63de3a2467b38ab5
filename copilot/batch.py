"""`python -m copilot batch`: run a Batch API request file on a model here, resumably.

The input is the OpenAI Batch API's JSONL (one request a line: `custom_id`, `method`, `url`,
`body`), as `python -m evaluation batch export` writes it and as OpenAI Batch and vLLM's
`run_batch` take it. The output is the Batch API's output format, one line per request:
`{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}`, where `body`
is the `chat.completion` that `copilot.serve` would answer (see `copilot.backends.wire`).

Each line is written and flushed before the next request starts, so a run killed with SIGKILL
loses at most the request in flight: running the same command again cuts a torn last line, skips
every `custom_id` already in the output, and appends the rest. The output holds no timestamps
and its ids derive from the `custom_id`, so an interrupted and resumed run writes the same lines
as an uninterrupted one (latency aside).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copilot.backends.base import Backend, Completion, ModelUnavailable
from copilot.backends.registry import UnknownModel, get_backend
from copilot.backends.wire import completion_body, max_calls_of
from copilot.redaction import redact

CHAT_URL = "/v1/chat/completions"
EXAMPLES = """examples:
  python -m copilot batch requests.jsonl --out results.jsonl              # each line's body.model
  python -m copilot batch requests.jsonl --out results.jsonl --model local-ft
  python -m copilot batch shard-2.jsonl --out out-2.jsonl --model replay:answers.jsonl
  python -m evaluation batch export --model local-ft --out requests.jsonl   # makes the input
  python -m evaluation batch import results.jsonl --output runs/batch       # scores the output

Run the same command again after an interruption (even kill -9): lines already in --out are not
redone. exit codes: 0 done; 1 some request failed (an error line); 2 bad input.
"""


class BatchFileError(ValueError):
    """A request or output file that cannot be run as asked (one line: file, line, why)."""


@dataclass(frozen=True)
class BatchRequest:
    """One request line: its `custom_id` and the chat completions `body`."""

    custom_id: str
    body: dict[str, Any]


def request_id(custom_id: str) -> str:
    """A stable id for a request's answer (the same on every run of the file)."""
    return hashlib.sha256(custom_id.encode("utf-8")).hexdigest()[:24]


def _request(record: Any) -> BatchRequest:
    if not isinstance(record, dict):
        raise ValueError("a request line must be a JSON object")
    custom_id = record.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        raise ValueError("'custom_id' must be a non-empty string")
    if record.get("method") != "POST":
        raise ValueError(f"{custom_id}: 'method' must be \"POST\"")
    if record.get("url") != CHAT_URL:
        raise ValueError(f"{custom_id}: 'url' must be {CHAT_URL!r} (got {record.get('url')!r})")
    body = record.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        raise ValueError(f"{custom_id}: 'body' must be an object with a 'messages' list")
    if not isinstance(body.get("model"), str):
        raise ValueError(f"{custom_id}: 'body.model' must be a string")
    return BatchRequest(custom_id, body)


def read_requests(path: Path) -> list[BatchRequest]:
    """Every request of a Batch API file; raises `BatchFileError` at the first bad line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchFileError(f"cannot read {path}: {exc}") from None
    requests: list[BatchRequest] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            request = _request(json.loads(line))
        except ValueError as exc:  # JSONDecodeError included
            raise BatchFileError(f"{path}:{number}: {str(exc)[:200]}") from None
        if request.custom_id in seen:
            raise BatchFileError(f"{path}:{number}: duplicate custom_id {request.custom_id!r}")
        seen.add(request.custom_id)
        requests.append(request)
    if not requests:
        raise BatchFileError(f"{path} holds no request")
    return requests


def finished_ids(out: Path, wanted: Iterable[str]) -> set[str]:
    """The `custom_id`s already answered in `out`, after cutting a torn last line (a killed
    run). An output that answers requests this file does not hold is another run's: an error."""
    if not out.exists():
        return set()
    data = out.read_bytes()
    if data and not data.endswith(b"\n"):
        out.write_bytes(data[: data.rfind(b"\n") + 1])
    wanted = set(wanted)
    done: set[str] = set()
    for number, line in enumerate(out.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            custom_id = json.loads(line)["custom_id"]
        except (ValueError, KeyError, TypeError):
            raise BatchFileError(f"{out}:{number}: not a batch output line") from None
        if custom_id not in wanted:
            raise BatchFileError(
                f"{out} answers {custom_id!r}, which the request file does not hold: "
                "it belongs to another run; choose another --out"
            )
        done.add(custom_id)
    return done


def output_line(request: BatchRequest, completion: Completion, identity: str) -> dict[str, Any]:
    """The Batch API output line for one answered request."""
    rid = request_id(request.custom_id)
    body = completion_body(completion, request.body["model"], identity, rid)
    return {
        "id": f"batch_req_{rid}",
        "custom_id": request.custom_id,
        "response": {"status_code": 200, "request_id": rid, "body": body},
        "error": None,
    }


def error_line(request: BatchRequest, code: str, message: str) -> dict[str, Any]:
    """The Batch API output line for a request that got no answer."""
    rid = request_id(request.custom_id)
    return {
        "id": f"batch_req_{rid}",
        "custom_id": request.custom_id,
        "response": None,
        "error": {"code": code, "message": message[:500]},
    }


def answer(request: BatchRequest, backend: Backend) -> dict[str, Any]:
    """Run one request on `backend` (messages, tools and `parallel_tool_calls` as sent)."""
    body = request.body
    try:
        completion = backend.complete(
            body["messages"], body.get("tools"), max_calls=max_calls_of(body)
        )
    except Exception as exc:  # the protocol says never raise; a broken backend still may
        return error_line(request, "model_error", f"{type(exc).__name__}: {exc}")
    return output_line(request, completion, str(backend.identity))


def run_batch(
    requests: list[BatchRequest],
    out: Path,
    backend_for: Callable[[str], Backend],
    on_line: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[int, int]:
    """Answer every request not yet in `out`, appending one flushed line each; returns
    (lines written now, lines already there)."""
    done = finished_ids(out, (r.custom_id for r in requests))
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with out.open("a", encoding="utf-8") as handle:
        for request in requests:
            if request.custom_id in done:
                continue
            line = answer(request, backend_for(request.body["model"]))
            handle.write(redact(json.dumps(line, ensure_ascii=False)) + "\n")
            handle.flush()
            written += 1
            if on_line is not None:
                on_line(line)
    return written, len(done)


def _backends(requests: list[BatchRequest], model: str | None, base_url: str | None):
    """One backend per model name, built (and loaded) before the first request runs."""
    overrides = {"base_url": base_url} if base_url else {}
    names = [model] if model else list(dict.fromkeys(r.body["model"] for r in requests))
    built = {name: get_backend(name, **overrides) for name in names}
    for backend in built.values():
        load = getattr(backend, "load", None)
        if callable(load):
            load()
    return lambda name: built[model or name]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m copilot batch",
        description="Run an OpenAI Batch API request file (/v1/chat/completions lines) on a "
        "model here; write the Batch output format, one line per request, resumably.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("requests", type=Path, help="the request file (JSONL)")
    parser.add_argument("--out", type=Path, required=True, help="the output file (JSONL)")
    parser.add_argument("--model", help="run every line on this model (default: body.model)")
    parser.add_argument("--base-url", help="an OpenAI-compatible server for the model names")
    return parser


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    args = build_parser().parse_args(argv)
    err = Console(stderr=True, soft_wrap=True)
    try:
        requests = read_requests(args.requests)
        done = finished_ids(args.out, (r.custom_id for r in requests))
        todo = len(requests) - len(done)
        backend_for = _backends(requests, args.model, args.base_url) if todo else None
    except (BatchFileError, UnknownModel, ModelUnavailable) as exc:
        err.print(f"[bold red]error:[/] {redact(str(exc))}", highlight=False, markup=True)
        return 2
    except OSError as exc:
        err.print(f"[bold red]error:[/] cannot write {args.out}: {exc}", highlight=False)
        return 2
    failed = 0
    if backend_for is not None:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        progress = Progress(*columns, TimeElapsedColumn(), console=err, transient=True)

        def advance(line: dict[str, Any]) -> None:
            nonlocal failed
            failed += line["error"] is not None
            progress.update(task, advance=1)

        with progress:
            task = progress.add_task("answering", total=todo)
            try:
                run_batch(requests, args.out, backend_for, advance)
            except KeyboardInterrupt:
                err.print(f"interrupted: run the same command again to finish {args.out}")
                return 130
    err.print(
        f"{args.out}: {len(requests)} lines ({len(done)} already there, {todo} answered now"
        f"{f', {failed} failed' if failed else ''})",
        highlight=False,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
