"""The server under concurrent clients: throughput and p50 at 1, 2 and 4 clients at once.

Part of the clients section (`python -m bench --only clients`). The server is
`copilot.serve.create_app` over an already-loaded backend, with `--max-concurrency` 1 (the
default: the local model decodes one request at a time on 2 cores) and 2; each client is a thread
with the official `openai` client sending one-call commands, one request after another. Requests
beyond the running ones wait in the server's first-come-first-served queue, so on a model that
cannot answer two at once the throughput stays flat and p50 grows with the number of clients.
"""

from __future__ import annotations

import functools
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from copilot import tools
from copilot.serve import create_app, running_server

PROMPTS = (
    "take off to 30 metres",
    "land at home base",
    "fly forward 50 metres",
    "set speed to 20 km/h",
    "take a photo",
    "turn the lights on",
    "return to home",
    "tilt the gimbal down 45 degrees",
)
CLIENTS = (1, 2, 4)
SLOTS = (1, 2)


def _ask(client: Any, model: str, offered: list[dict[str, Any]], i: int) -> float:
    """One request's wall time in ms."""
    started = time.perf_counter()
    client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}],
        tools=offered,
    )
    return (time.perf_counter() - started) * 1000


def measure(backend: Any, model: str, requests: int = 32) -> list[dict[str, Any]]:
    """One row per (max-concurrency, clients): requests a second and p50/p95 latency."""
    import openai

    offered = tools()
    rows = []
    for slots in SLOTS:
        app = create_app(backend, model, max_concurrency=slots, max_queue=64)
        with running_server(app) as url:
            client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)
            ask = functools.partial(_ask, client, model, offered)

            for i in range(len(PROMPTS)):  # warm: every prompt's grammar and prefix once
                ask(i)
            for clients in CLIENTS:
                with ThreadPoolExecutor(clients) as pool:
                    started = time.perf_counter()
                    latencies = sorted(pool.map(ask, range(requests)))
                    wall = time.perf_counter() - started
                p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
                rows.append(
                    {
                        "figure": f"server, --max-concurrency {slots}: {clients} client(s) at once",
                        "value": f"{requests / wall:.1f}",
                        "unit": f"req/s, p50 {statistics.median(latencies):.0f} ms, "
                        f"p95 {p95:.0f} ms ({requests} requests)",
                    }
                )
    return rows
