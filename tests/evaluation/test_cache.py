"""The answer cache: what changes the key, what is stored, what is never stored."""

from __future__ import annotations

from pathlib import Path

from copilot import Completion
from evaluation.cache import AnswerCache, cache_key

MESSAGES = [{"role": "user", "content": "Take off to 50 m"}]
TOOLS = [{"type": "function", "function": {"name": "takeoff_drone"}}]


def test_key_depends_on_identity_messages_tools_and_params() -> None:
    base = cache_key("local-ft@abc", MESSAGES, TOOLS, {"temperature": 0})
    assert base == cache_key("local-ft@abc", list(MESSAGES), list(TOOLS), {"temperature": 0})
    others = {
        cache_key("local-ft@def", MESSAGES, TOOLS, {"temperature": 0}),  # another adapter
        cache_key("local-ft@abc", [{"role": "user", "content": "Land"}], TOOLS, {"temperature": 0}),
        cache_key("local-ft@abc", MESSAGES, None, {"temperature": 0}),
        cache_key("local-ft@abc", MESSAGES, TOOLS, {"temperature": 1}),
    }
    assert base not in others and len(others) == 4


def test_round_trip_keeps_measurements(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path)
    answer = Completion.from_output(
        '{"name": "takeoff_drone", "arguments": {"altitude": 50}}',
        prompt_tokens=31,
        completion_tokens=9,
        latency_ms=812.5,
    )
    cache.put("k1", answer)
    got = cache.get("k1")
    assert got is not None
    assert [str(c) for c in got.calls] == ["takeoff_drone(altitude=50)"]
    assert (got.prompt_tokens, got.completion_tokens, got.latency_ms) == (31, 9, 812.5)
    assert got.raw == answer.raw and got.raw_calls[0].name == "takeoff_drone"
    assert got.error is None


def test_malformed_answers_are_cached_but_backend_failures_are_not(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path)
    cache.put("garbage", Completion.from_output("I refuse"))
    cache.put("down", Completion(error="connection refused"))
    garbage = cache.get("garbage")
    assert garbage is not None and garbage.error and garbage.raw == "I refuse"
    assert cache.get("down") is None


def test_disabled_and_corrupt_entries_are_misses(tmp_path: Path) -> None:
    off = AnswerCache(tmp_path, enabled=False)
    off.put("k", Completion.from_output("reject_request()"))
    assert off.get("k") is None and not any(tmp_path.iterdir())
    cache = AnswerCache(tmp_path)
    cache.put("ab12", Completion.from_output("reject_request()"))
    (tmp_path / "ab" / "ab12.json").write_text("{torn")
    assert cache.get("ab12") is None


def test_refresh_writes_but_never_reads(tmp_path: Path) -> None:
    AnswerCache(tmp_path).put("k", Completion.from_output("reject_request()"))
    refresh = AnswerCache(tmp_path, refresh=True)
    assert refresh.get("k") is None
    refresh.put("k", Completion.from_output("calibrate_sensors()"))
    got = AnswerCache(tmp_path).get("k")
    assert got is not None and got.calls[0].name == "calibrate_sensors"
