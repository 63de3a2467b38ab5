"""`batch submit` against a real HTTP server on 127.0.0.1 (FastAPI under uvicorn, started by the
test) that implements the endpoints the official `openai` client calls: `POST /v1/files`,
`POST /v1/batches`, `GET /v1/batches/{id}` and `GET /v1/files/{id}/content`. The server answers
the uploaded requests with `copilot.batch` on a replay model, so what comes back is a real Batch
output file; the client is pointed at it by `base_url`."""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from copilot import get_backend
from copilot.batch import read_requests, run_batch
from copilot.serve import running_server
from evaluation.cli import main


def batch_server(tmp_path: Path) -> tuple[FastAPI, dict]:
    files: dict[str, bytes] = {}
    batches: dict[str, dict] = {}
    seen = {"polls": 0, "purpose": None, "endpoint": None}
    app = FastAPI()

    def file_object(file_id: str, name: str) -> dict:
        return {"id": file_id, "object": "file", "bytes": len(files[file_id]), "created_at": 1,
                "filename": name, "purpose": "batch", "status": "processed"}  # fmt: skip

    @app.post("/v1/files")
    async def upload(request: Request) -> JSONResponse:
        head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + await request.body())
        parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
        seen["purpose"] = parts["purpose"].get_content()
        file_id = f"file-{len(files)}"
        files[file_id] = parts["file"].get_payload(decode=True)
        return JSONResponse(file_object(file_id, "requests.jsonl"))

    @app.post("/v1/batches")
    async def create(request: Request) -> JSONResponse:
        params = await request.json()
        seen["endpoint"] = params["endpoint"]
        source = tmp_path / "uploaded.jsonl"
        source.write_bytes(files[params["input_file_id"]])
        out = tmp_path / "answered.jsonl"
        run_batch(read_requests(source), out, lambda name: get_backend(name))
        files["file-out"] = out.read_bytes()
        batches["batch_1"] = {
            "id": "batch_1", "object": "batch", "endpoint": params["endpoint"],
            "input_file_id": params["input_file_id"], "completion_window": "24h",
            "created_at": 1, "status": "validating",
        }  # fmt: skip
        return JSONResponse(batches["batch_1"])

    @app.get("/v1/batches/{batch_id}")
    async def retrieve(batch_id: str) -> JSONResponse:
        seen["polls"] += 1
        batch = dict(batches[batch_id])
        total = len(files["file-out"].splitlines())
        if seen["polls"] == 1:
            batch["status"] = "in_progress"
            batch["request_counts"] = {"total": total, "completed": total // 2, "failed": 0}
        else:
            batch["status"] = "completed"
            batch["output_file_id"] = "file-out"
            batch["request_counts"] = {"total": total, "completed": total, "failed": 0}
        return JSONResponse(batch)

    @app.get("/v1/files/{file_id}/content")
    async def content(file_id: str) -> Response:
        return Response(files[file_id], media_type="application/octet-stream")

    return app, seen


def test_submit_uploads_polls_and_downloads(tmp_path, replay, flawed_answers, capsys,
                                            monkeypatch) -> None:  # fmt: skip
    model = replay(flawed_answers)
    requests, out = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    assert main(["batch", "export", "--model", model, "--out", str(requests)]) == 0
    app, seen = batch_server(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key")
    with running_server(app) as base_url:
        argv = ["batch", "submit", str(requests), "--out", str(out), "--base-url", base_url]
        assert main([*argv, "--poll", "0.01"]) == 0
    assert seen == {"polls": 2, "purpose": "batch", "endpoint": "/v1/chat/completions"}
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 20 and all(line["response"]["status_code"] == 200 for line in lines)
    capsys.readouterr()
    argv = ["batch", "import", str(out), "--output", str(tmp_path / "run"), "--no-plots"]
    assert main([*argv, "--format", "json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert [r["call_match"] for r in runs] == [0.8, 0.9]


def test_submit_without_a_key_says_so_in_one_line(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    requests = tmp_path / "requests.jsonl"
    requests.write_text("{}\n")
    assert main(["batch", "submit", str(requests), "--out", str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err.strip()
    assert "OPENAI_API_KEY" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "argv", [["--out", "o.jsonl"], ["r.jsonl", "--batch-id", "b", "--out", "o"]]
)
def test_submit_needs_a_file_or_a_batch_id(argv, capsys) -> None:
    assert main(["batch", "submit", *argv]) == 2
    assert "not both" in capsys.readouterr().err
