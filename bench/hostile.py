"""A hostile user's tools, shared by the reliability bench and `tests/reliability/`.

- `ADVERSARIAL_300KB`: model outputs of 300 KB shaped to make a parser slow.
- `MALFORMED`: kinds of malformed request to `POST /v1/chat/completions` (bad bytes, bad JSON,
  bad nesting, bad headers, every field wrong in its own way); `send_malformed` sends each kind
  `per_kind` times (varied) to a server over HTTP and counts the answers.
- the fault-injecting OpenAI-compatible server is in `bench/fault_server.py`.
- `kill_and_resume`: `python -m evaluation` killed with SIGKILL at seeded points, resumed with
  `--resume DIR` alone each time, and compared case by case with an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
JSON = "application/json"
OK_PROMPT = "Take off the drone to 50 meters"

# --------------------------------------------------------------------------- adversarial output

# 300 KB model outputs in the shapes that made the parser quadratic before it read linearly
ADVERSARIAL_300KB = {
    "open braces": "{" * 300_000,
    "open brackets": "[" * 300_000,
    "balanced brackets": "[" * 150_000 + "]" * 150_000,
    "strings that hide brackets": '["]",' * 60_000,
    "nested keys": '{"a":' * 60_000,
    "call prefixes": "takeoff_drone(" * 21_429,
    "nested calls": "takeoff_drone(" * 10_715 + ")" * 10_715,
    "mixed": "([" * 75_000 + "])" * 75_000,
    "many calls": "takeoff_drone(altitude=1) " * 11_539,
}


# --------------------------------------------------------------------------- malformed requests

Request = tuple[str, str, dict[str, str], bytes]  # method, path, headers, body


def _ask(i: int, **fields: Any) -> dict[str, Any]:
    body = {"model": "drone-test", "messages": [{"role": "user", "content": f"{OK_PROMPT} {i}"}]}
    return {**body, **fields}


def _json(i: int, **fields: Any) -> Request:
    return (
        "POST",
        "/v1/chat/completions",
        {"content-type": JSON},
        json.dumps(_ask(i, **fields)).encode(),
    )


def _raw(
    body: bytes,
    content_type: str | None = JSON,
    method: str = "POST",
    path: str = "/v1/chat/completions",
) -> Request:
    return method, path, ({"content-type": content_type} if content_type else {}), body


def _messages(i: int, messages: Any) -> Request:
    return _raw(json.dumps({"model": "drone-test", "messages": messages}).encode())


def _nested(depth: int, inner: Any = 1) -> Any:
    for _ in range(depth):
        inner = {"a": inner}
    return inner


def _tool(**function: Any) -> list[dict[str, Any]]:
    return [{"type": "function", "function": function}]


MALFORMED: dict[str, Callable[[int], Request]] = {
    # bytes and JSON
    "empty body": lambda i: _raw(b""),
    "not JSON": lambda i: _raw(b"hello drone %d" % i),
    "truncated JSON": lambda i: _raw(json.dumps(_ask(i)).encode()[: 10 + i % 20]),
    "not UTF-8": lambda i: _raw(b"\xff\xfe\xfd" + bytes([i % 256])),
    "UTF-16": lambda i: _raw(json.dumps(_ask(i)).encode("utf-16")),
    "BOM first": lambda i: _raw(b"\xef\xbb\xbf" + json.dumps(_ask(i)).encode()),
    "top-level array": lambda i: _raw(json.dumps([_ask(i)]).encode()),
    "top-level string": lambda i: _raw(b'"take off"'),
    "top-level number": lambda i: _raw(str(i).encode()),
    "top-level null": lambda i: _raw(b"null"),
    "10,000 nested arrays": lambda i: _raw(b"[" * (10_000 + i) + b"]" * (10_000 + i)),
    "10,000 nested objects": lambda i: _raw(b'{"a":' * (10_000 + i) + b"1" + b"}" * (10_000 + i)),
    "unclosed nesting": lambda i: _raw(b'{"a":' * (5_000 + i)),
    "nesting inside a request": lambda i: _json(i, metadata_extra=_nested(100 + i)),
    "body over 1 MB": lambda i: _raw(b'{"model": "' + b"x" * (1_000_001 + i) + b'"}'),
    "NaN temperature": lambda i: _raw(json.dumps(_ask(i, temperature=float("nan"))).encode()),
    "Infinity temperature": lambda i: _raw(json.dumps(_ask(i, temperature=float("inf"))).encode()),
    "400-digit max_tokens": lambda i: _raw(
        json.dumps(_ask(i)).encode()[:-1] + b', "max_tokens": 1' + b"0" * 400 + b"}"
    ),
    "5,000-digit number": lambda i: _raw(b'{"model": "drone-test", "seed": ' + b"9" * 5000 + b"}"),
    "duplicate keys": lambda i: _raw(b'{"model": "drone-test", "model": 5, "messages": []}'),
    "lone surrogate": lambda i: _messages(i, [{"role": "user", "content": "take off \ud800"}]),
    "NUL in content": lambda i: _messages(i, [{"role": "user", "content": "take\x00off"}]),
    # headers, methods, paths
    "text/plain": lambda i: (
        *_raw(b"")[:2],
        {"content-type": "text/plain"},
        json.dumps(_ask(i)).encode(),
    ),
    "form-encoded": lambda i: _raw(
        b"model=drone-test&messages=hi", "application/x-www-form-urlencoded"
    ),
    "multipart": lambda i: _raw(b"--x\r\n\r\nhi\r\n--x--", "multipart/form-data; boundary=x"),
    "no content type": lambda i: _raw(json.dumps(_ask(i)).encode(), None),
    "XML content type": lambda i: _raw(b"<model/>", "application/xml"),
    "GET on chat": lambda i: _raw(b"", None, "GET"),
    "PUT on chat": lambda i: _raw(json.dumps(_ask(i)).encode(), JSON, "PUT"),
    "DELETE on models": lambda i: _raw(b"", None, "DELETE", "/v1/models"),
    "POST on models": lambda i: _raw(b"{}", JSON, "POST", "/v1/models"),
    "unknown path": lambda i: _raw(b"{}", JSON, "POST", f"/v1/engines/{i}/completions"),
    "path traversal": lambda i: _raw(b"", None, "GET", "/v1/../../etc/passwd"),
    # fields
    "model missing": lambda i: _raw(json.dumps({"messages": _ask(i)["messages"]}).encode()),
    "model a number": lambda i: _json(i, model=i),
    "model unknown": lambda i: _json(i, model=f"gpt-{i}"),
    "model empty": lambda i: _json(i, model=""),
    "messages missing": lambda i: _raw(b'{"model": "drone-test"}'),
    "messages an object": lambda i: _messages(i, {"role": "user", "content": "hi"}),
    "messages empty": lambda i: _messages(i, []),
    "message a string": lambda i: _messages(i, ["take off"]),
    "role missing": lambda i: _messages(i, [{"content": "take off"}]),
    "role unknown": lambda i: _messages(i, [{"role": "pilot", "content": "take off"}]),
    "content a number": lambda i: _messages(i, [{"role": "user", "content": i}]),
    "content an object": lambda i: _messages(i, [{"role": "user", "content": {"text": "hi"}}]),
    "image part": lambda i: _messages(
        i, [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]
    ),
    "part without text": lambda i: _messages(i, [{"role": "user", "content": [{"type": "text"}]}]),
    "part a string": lambda i: _messages(i, [{"role": "user", "content": ["take off"]}]),
    "empty user message": lambda i: _messages(i, [{"role": "user", "content": " " * (i % 5)}]),
    "no user message": lambda i: _messages(i, [{"role": "system", "content": "be a drone"}]),
    "prompt too long": lambda i: _messages(i, [{"role": "user", "content": "up " * (2000 + i)}]),
    "1,001 messages": lambda i: _messages(i, [{"role": "user", "content": "hi"}] * 1001),
    "tool_calls a string": lambda i: _messages(
        i, [{"role": "assistant", "tool_calls": "x"}, {"role": "user", "content": "hi"}]
    ),
    "tool call name with spaces": lambda i: _messages(
        i,
        [
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "a",
                        "type": "function",
                        "function": {"name": "take off", "arguments": "{}"},
                    }
                ],
            },
            {"role": "user", "content": "hi"},
        ],
    ),
    "tools an object": lambda i: _json(i, tools={"type": "function"}),
    "tool without function": lambda i: _json(i, tools=[{"type": "function"}]),
    "tool name with spaces": lambda i: _json(i, tools=_tool(name="take off")),
    "tool type retrieval": lambda i: _json(
        i, tools=[{"type": "retrieval", "function": {"name": "x"}}]
    ),
    "129 tools": lambda i: _json(i, tools=_tool(name="return_to_home") * 129),
    "tool_choice none": lambda i: _json(i, tool_choice="none"),
    "tool_choice unknown": lambda i: _json(i, tool_choice=f"maybe-{i}"),
    "tool_choice without function": lambda i: _json(i, tool_choice={"type": "function"}),
    "parallel_tool_calls a string": lambda i: _json(i, parallel_tool_calls="yes"),
    "stream": lambda i: _json(i, stream=True),
    "n a billion": lambda i: _json(i, n=10**9 + i),
    "n zero": lambda i: _json(i, n=0),
    "max_tokens negative": lambda i: _json(i, max_tokens=-1 - i),
    "max_tokens words": lambda i: _json(i, max_tokens="lots"),
    "temperature 5": lambda i: _json(i, temperature=5 + i),
    "top_p negative": lambda i: _json(i, top_p=-0.5),
    "five stop words": lambda i: _json(i, stop=["a", "b", "c", "d", "e"]),
    "seed a float": lambda i: _json(i, seed=0.5 + i),
    "logit_bias 1000": lambda i: _json(i, logit_bias={"42": 1000}),
    "metadata numbers": lambda i: _json(i, metadata={"run": i}),
    "temperature a string": lambda i: _json(i, temperature="0.2"),
}


@dataclass
class Tally:
    """What a server answered to malformed requests."""

    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)  # "kind: status"
    unshaped: list[str] = field(default_factory=list)  # a 4xx without OpenAI's error shape


def openai_shaped(body: bytes) -> bool:
    try:
        error = json.loads(body)["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return isinstance(error, dict) and {"message", "type", "param", "code"} <= set(error)


def send_malformed(base_url: str, per_kind: int = 1, kinds: list[str] | None = None) -> Tally:
    """Send every kind of malformed request `per_kind` times to the server at `base_url`."""
    import httpx

    tally = Tally()
    root = base_url.removesuffix("/v1")
    with httpx.Client(base_url=root, timeout=30) as client:
        for name in kinds or list(MALFORMED):
            for i in range(per_kind):
                method, path, headers, body = MALFORMED[name](i)
                response = client.request(method, path, headers=headers, content=body)
                tally.sent += 1
                tally.statuses[response.status_code] += 1
                if response.status_code >= 500:
                    tally.server_errors.append(f"{name}: {response.status_code}")
                elif response.status_code >= 400 and not openai_shaped(response.content):
                    tally.unshaped.append(f"{name}: {response.status_code}")
    return tally


# --------------------------------------------------------------------------- kill -9 and resume

CALLS = ['control_camera(mode="photo")', "set_drone_speed(speed=12)", "reject_request()"]
EXPECTED = [
    {"name": "control_camera", "arguments": {"mode": "photo"}},
    {"name": "set_drone_speed", "arguments": {"speed": 12}},
    {"name": "reject_request", "arguments": {}},
]
VOLATILE = {"cached"}  # a resumed case may come from the cache; every other field must agree


def write_big_suite(directory: Path, cases: int) -> tuple[Path, Path]:
    """A suite of `cases` requests and a recording that answers them (1 in 7 with junk)."""
    suite, answers = directory / "big.jsonl", directory / "answers.jsonl"
    with suite.open("w") as s, answers.open("w") as a:
        for i in range(cases):
            prompt = f"request number {i}"
            s.write(
                json.dumps({"id": f"b{i}", "prompt": prompt, "expected": [EXPECTED[i % 3]]}) + "\n"
            )
            output = CALLS[i % 3] if i % 7 else "junk"
            a.write(json.dumps({"prompt": prompt, "output": output, "latency_ms": 2}) + "\n")
    return suite, answers


def _lines(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return 0


@dataclass
class KillReport:
    """How a killed-and-resumed run compares with an uninterrupted one."""

    kills: int = 0
    cases: int = 0
    lost: int = 0
    duplicated: int = 0
    changed: int = 0
    summary_equal: bool = False
    kill_points: list[int] = field(default_factory=list)  # results lines at each kill


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def kill_and_resume(
    directory: Path, cases: int = 3000, kills: int = 6, seed: int = 0
) -> KillReport:
    """Run the evaluation once through, and once killed `kills` times; compare the two."""
    suite, answers = write_big_suite(directory, cases)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DRONE_COPILOT_CACHE": str(directory / "cache")}
    start = [
        sys.executable,
        "-m",
        "evaluation",
        "--suite",
        str(suite),
        "--model",
        f"replay:{answers}",
        "--no-plots",
    ]
    quiet = {"cwd": ROOT, "env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    reference, run = directory / "reference", directory / "run"
    subprocess.run([*start, "--output", str(reference)], check=True, timeout=600, **quiet)
    rng, report = random.Random(seed), KillReport()
    results = run / "results.jsonl"
    for k in range(kills):
        command = [*start, "--output", str(run)] if k == 0 else [*(start[:3]), "--resume", str(run)]
        target = _lines(results) + rng.randint(1, max(2, cases // (kills + 2)))
        proc = subprocess.Popen(command, **quiet)
        deadline = time.monotonic() + 120
        while proc.poll() is None and _lines(results) < target and time.monotonic() < deadline:
            time.sleep(0.002)
        if proc.poll() is not None:
            break  # finished before this kill point
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        report.kills += 1
        report.kill_points.append(_lines(results))
    subprocess.run([*(start[:3]), "--resume", str(run)], check=True, timeout=600, **quiet)

    want = {r["id"]: r for r in _rows(reference / "results.jsonl")}
    got = _rows(results)
    ids = Counter(r["id"] for r in got)
    report.cases = len(want)
    report.lost = sum(1 for i in want if i not in ids)
    report.duplicated = sum(n - 1 for n in ids.values())
    strip = lambda r: {k: v for k, v in r.items() if k not in VOLATILE}  # noqa: E731
    report.changed = sum(1 for r in got if r["id"] in want and strip(r) != strip(want[r["id"]]))
    runs = [json.loads((d / "summary.json").read_text())["runs"] for d in (reference, run)]
    report.summary_equal = runs[0] == runs[1]
    return report
