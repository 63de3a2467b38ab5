"""The OpenAI fine-tuning flow against recorded API responses.

The responses in tests/finetune/recorded/*.json have the shape of the OpenAI REST API (files,
fine_tuning.jobs, events). They were written from the API reference, because this machine has no
network, and are replayed by a real HTTP server on a random loopback port: the official `openai`
client makes real requests to it, and the server records them so the tests can check what was sent.
"""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from copilot import SEED_SYSTEM_PROMPT, tools
from finetune.__main__ import main
from finetune.training.openai_jobs import registered_models

RECORDED = Path(__file__).parent / "recorded"
FT_NAME = "ft:gpt-4o-mini-2024-07-18:org-drone0copilot0tests:drone:AbC123xy"


class ReplayServer:
    """Serves recorded exchanges in order, per (method, path); records every request it gets."""

    def __init__(self, *names: str) -> None:
        self.exchanges = [
            x for name in names for x in json.loads((RECORDED / name).read_text())["exchanges"]
        ]
        self.requests: list[dict] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(size) if size else b""
                path = self.path.split("?")[0]
                replay.requests.append({"method": self.command, "path": path, "body": body})
                match = next(
                    (
                        x
                        for x in replay.exchanges
                        if (x["method"], x["path"]) == (self.command, path)
                    ),
                    None,
                )
                if match is None:
                    status, payload = 404, {"error": {"message": f"no recording for {path}"}}
                else:
                    replay.exchanges.remove(match)
                    status, payload = match["status"], match["body"]
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ReplayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(autouse=True)
def environment(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("DRONE_COPILOT_CONFIG", str(tmp_path / "config"))
    monkeypatch.setenv("DRONE_COPILOT_POLL_SECONDS", "0")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the repository


def training_file(tmp_path: Path, n: int = 12) -> Path:
    lines = []
    for i in range(n):
        altitude = 10 + i * 7
        call = {"name": "takeoff_drone", "arguments": json.dumps({"altitude": altitude})}
        messages = [
            {"role": "system", "content": SEED_SYSTEM_PROMPT},
            {"role": "user", "content": f"Take off to {altitude} meters"},
            {
                "role": "assistant",
                "tool_calls": [{"id": "c0", "type": "function", "function": call}],
            },
        ]
        lines.append(
            json.dumps({"messages": messages, "tools": tools(), "parallel_tool_calls": False})
        )
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_job_is_uploaded_created_polled_and_registered(tmp_path, capsys):
    data = training_file(tmp_path)
    with ReplayServer("job_succeeds.json") as server:
        code = main(
            ["train", "--backend", "openai", "--data", str(data), "--val", "", "--yes",
             "--base-url", server.url]
        )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.strip() == FT_NAME
    assert server.exchanges == []  # every recorded response was asked for
    upload = server.requests[0]
    assert upload["path"] == "/v1/files" and data.read_bytes() in upload["body"]
    assert b'name="purpose"' in upload["body"] and b"fine-tune" in upload["body"]
    created = json.loads(server.requests[1]["body"])
    assert created["model"] == "gpt-4o-mini-2024-07-18"
    assert created["training_file"] == "file-9kQ2mXrT4bWvYp7sLdZc1aFh"
    assert created["suffix"] == "drone" and created["seed"] == 42
    assert "$" in err and "billed training tokens" in err  # the cost estimate was shown
    assert "Fine-tuning job started" in err and "successfully completed" in err
    [model] = registered_models()
    assert model["name"] == FT_NAME and model["job_id"] == "ftjob-Vt3sPl2QkZ9mWbq1xYhE0aRn"
    assert model["data"] == str(data)


def test_polling_resumes_by_job_id_and_reports_a_failed_job(tmp_path, capsys):
    with ReplayServer("job_fails.json") as server:
        code = main(
            ["train", "--backend", "openai", "--job", "ftjob-Fa1LedDr0neJob0000000000",
             "--base-url", server.url]
        )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert "ftjob-Fa1LedDr0neJob0000000000 failed: The job failed due to an invalid training" in err
    assert [r["method"] for r in server.requests] == ["GET", "GET"]  # nothing new was started
    assert registered_models() == []


def test_a_file_that_fails_check_is_never_uploaded(tmp_path, capsys):
    data = training_file(tmp_path)
    data.write_text(data.read_text() + "{not json\n")
    with ReplayServer("job_succeeds.json") as server:
        code = main(["train", "--backend", "openai", "--data", str(data), "--val", "", "--yes",
                     "--base-url", server.url])  # fmt: skip
    assert code == 1
    assert "fails the dataset check" in capsys.readouterr().err
    assert server.requests == []


def test_without_yes_and_without_a_terminal_nothing_is_uploaded(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO())  # not a terminal: nobody can confirm
    data = training_file(tmp_path)
    with ReplayServer("job_succeeds.json") as server:
        code = main(["train", "--backend", "openai", "--data", str(data), "--val", "",
                     "--base-url", server.url])  # fmt: skip
    assert code == 1
    assert "add --yes" in capsys.readouterr().err
    assert server.requests == []


def test_jobs_lists_jobs_and_the_registry(tmp_path, capsys):
    with ReplayServer("jobs_list.json") as server:
        assert main(["jobs", "--format", "json", "--base-url", server.url]) == 0
    jobs = json.loads(capsys.readouterr().out)["jobs"]
    assert [(j["id"], j["status"]) for j in jobs] == [
        ("ftjob-Vt3sPl2QkZ9mWbq1xYhE0aRn", "succeeded"),
        ("ftjob-Fa1LedDr0neJob0000000000", "failed"),
    ]
    assert main(["jobs", "--registered", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["models"] == []


def test_missing_key_is_one_clear_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    assert main(["jobs"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: set OPENAI_API_KEY") and "Traceback" not in err
