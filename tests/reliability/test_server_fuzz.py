"""The real server's OpenAPI schema fuzzed with schemathesis: valid and invalid requests (both
generation modes), a bounded number of each, deterministic. No answer is a 5xx, every error has
OpenAI's shape, and the server answers the same way through the wire as in-process."""

from __future__ import annotations

import json
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from copilot import ReplayBackend
from copilot.serve import create_app

RECORDING = Path(__file__).resolve().parents[2] / "evaluation" / "examples" / "plans_answers.jsonl"
APP = create_app(ReplayBackend(RECORDING), "drone-test")
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], deterministic=True, database="none"
)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FUZZ
def test_no_request_the_schema_allows_or_forbids_gets_a_5xx(case) -> None:
    response = case.call()
    assert response.status_code < 500, response.text[:300]
    if response.status_code >= 400:
        error = json.loads(response.text)["error"]
        assert set(error) == {"message", "type", "param", "code"}
        assert isinstance(error["message"], str) and error["message"]
