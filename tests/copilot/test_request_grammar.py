"""The grammar decoder bent to one request: offered functions, a named one, a budget, streaming.

The grammar part is pure Python; the decoder part is marked `model` and runs the base weights in
the `local-ft` format (the session's one load, tests/conftest.py).
"""

from __future__ import annotations

import pytest

from copilot.decoding.grammar import COMPLETE, DEAD, CallGrammar

PROMPT = "<start_of_turn>user\n{}<end_of_turn>\n<start_of_turn>model\n"


def test_a_grammar_restricted_to_some_functions_refuses_the_others():
    grammar = CallGrammar(names=frozenset({"land_drone", "set_drone_lighting"}))
    assert grammar.status('land_drone(location="current")') == COMPLETE
    assert grammar.status("takeoff_drone(altitude=30)") == DEAD
    assert grammar.status("reject_request()") == DEAD  # refusing is offered only by its tool
    assert (
        grammar.status('land_drone(location="current")\nset_drone_lighting(mode="on")') == COMPLETE
    )
    assert grammar.forced("") == ""  # two names left to choose from
    assert CallGrammar(names=frozenset({"return_to_home"})).forced("") == "return_to_home()"
    with pytest.raises(ValueError):
        CallGrammar(names=frozenset({"get_weather"}))


@pytest.fixture(scope="module")
def decoder(local_model):
    from copilot.decoding.decoder import GrammarDecoder

    model, tokenizer = local_model
    return GrammarDecoder(model, tokenizer, style="ft", fast="fp32", max_calls=4)


@pytest.mark.model
def test_the_decoder_writes_only_offered_functions_and_streams_its_text(decoder):
    seen: list[str] = []
    names = frozenset({"set_drone_lighting"})
    text, _, _ = decoder.decode(
        PROMPT.format("take off to 30 metres"), names=names, on_text=seen.append
    )
    assert text.startswith("set_drone_lighting(") and decoder.finish == "stop"
    assert seen and seen[-1] == text and all(text.startswith(s) for s in seen)
    assert len(seen) > 1  # the text grew in steps, not all at the end


@pytest.mark.model
def test_unoffered_preference_is_reported_when_not_forced(decoder):
    prompt = PROMPT.format("take off to 30 metres")
    text, _, _ = decoder.decode(prompt, names=frozenset({"land_drone"}), strict=False)
    assert decoder.finish == "unoffered" and not text.startswith("land_drone")
    decoder.decode(prompt, names=frozenset({"land_drone"}), strict=True)
    assert decoder.finish == "stop"


@pytest.mark.model
def test_a_budget_that_runs_out_says_length(decoder):
    prompt = PROMPT.format("land at home base")
    text, _, produced = decoder.decode(prompt, 1)
    assert decoder.finish == "length" and produced == 1 and CallGrammar().status(text) != COMPLETE
    decoder.decode(prompt)
    assert decoder.finish == "stop"
