"""Fast greedy decoding constrained to the call syntax, in plain torch over a transformers model.

What makes it fast (each measured in bench/bench_backends.py, numbers in the README):
1. Logits only over the grammar's vocabulary. The output layer is 262,144 x 640; the call syntax
   can emit only ~1-2 thousand distinct tokens (names, keys, enum values, digits, punctuation), so
   we multiply the last hidden state by those rows of the tied embedding matrix only.
2. Forced text in one forward pass. Once `take` is chosen, `off_drone(altitude=` is the only valid
   continuation: we tokenize it and feed it as a draft in one pass, then check each draft token
   against the model's own constrained choice at that position (like speculative decoding, with the
   grammar as the draft model), so the output is exactly what token-by-token greedy would give.
   After a complete call the end-of-turn token is drafted too.
3. The fixed prompt prefix (the base prompt's catalogue and examples) is computed once; its KV
   cache is cropped back to it after each request.
4. A lean Gemma 3 forward (`copilot.decoding.fast_gemma`): fused projections and a preallocated KV cache
   instead of the general transformers path (kept for other models and GPUs). Same numbers as
   transformers in fp32. The local backends run int8 (`fast="int8"`, the lean runtime of
   `copilot.backends.lean_model`): on 1,607 suite and validation cases it gave 1,596 identical
   outputs and 5 call matches more, 2 fewer, than fp32 (docs/decoding.md). A `LeanGemma` passed
   as the model stands in for a transformers model here (`parameters`, `get_output_embeddings`)
   and is its own forward.

Impossible values are refused, not bent into valid ones. The grammar can only steer the model to
the nearest valid text, which turned "tilt the gimbal to -120 degrees" into `tilt=-12` and "blink
orange" into `color="white"`. So the decoder answers `reject_request()` when the model's own
preference shows it meant a value the catalogue does not allow:
- a number out of range: its preferred token is blocked only by a parameter's range (`speed=`
  followed by `-`, `tilt=-120` followed by `,`, `duration=15*60` followed by `)`: an integer is
  checked once complete, since it may be written as an operation, see `copilot.decoding.grammar`);
- a word outside an enum: where an enum value starts (`color="`), its preferred token over the
  whole vocabulary is a word no allowed value starts with (`orange`), and it leads the best allowed
  value by more than `ENUM_MISS_MARGIN` in logits. This costs one full-vocabulary product per enum
  value, only there.

The margin is there because a user's synonym is often the model's favourite word too ("advance",
"reverse", "flash") while an allowed value stays close behind it. It was set on the shipped
adapter's validation file (data/val.jsonl, 548 generated examples, none from the suites): the 10
checks that fired wrongly there led by 0.36 to 4.14 and the 3 right ones ("north" of "northeast",
"macro", "west") by 6.67 to 9.69, so the threshold is the midpoint of that gap. `python -m bench
--only checks` measures it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch

from copilot.catalog import MAX_NEW_TOKENS, REJECT
from copilot.decoding.grammar import COMPLETE, DEAD, CallGrammar, sample_texts

# Logits by which an off-grammar word must lead every allowed value to count as another word
# (e^5.4: about 220 times as likely). Measured, not guessed: see the module docstring.
ENUM_MISS_MARGIN = 5.4


class _Impossible(Exception):
    """The model's preferred continuation is a value the catalogue does not allow."""


class _Unoffered(Exception):
    """The model's preferred function is one the request did not offer."""


class GrammarDecoder:
    """Greedy, deterministic, always well-formed: returns call text the parser accepts."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        style: str,
        prefix: str = "",
        max_calls: int = 1,
        fast: str | None = "fp32",
        reject_impossible: bool = True,
        enum_margin: float = ENUM_MISS_MARGIN,
    ) -> None:
        self.model = model
        self.reject_impossible = reject_impossible
        self.enum_margin = enum_margin
        self.tokenizer = tokenizer
        self.device = next(model.parameters()).device
        if style == "base":  # one call on the line after "Call:", then a newline
            max_calls, end_texts = 1, ["\n", "\n\n"]
        else:  # a plan: 1 to max_calls calls, one a line
            end_texts = ["<end_of_turn>"]
        self.max_calls = max_calls
        self._lead_space = style == "base"
        self._grammars: dict[tuple[int, frozenset[str] | None], CallGrammar] = {}
        self.grammar = self.grammar_for(max_calls, None)
        self._menu: CallGrammar | None = None  # the whole catalogue, to notice an unoffered call
        self.finish = "stop"  # why the last decode ended: "stop", "length" or "unoffered"
        vocab: dict[str, int] = tokenizer.get_vocab()
        self.end_ids = {vocab[t] for t in end_texts if t in vocab}
        self.end_ids.add(tokenizer.eos_token_id)
        self.token_text = dict(grammar_vocabulary(tokenizer))
        for i in self.end_ids:
            self.token_text[i] = ""
        ids = sorted(self.token_text)
        self.ids = torch.tensor(ids, device=self.device)
        self.texts = [self.token_text[i] for i in ids]
        head = model.get_output_embeddings().weight
        self.head = (
            head.detach()[self.ids].float().contiguous()
        )  # [G, hidden]: the rows we may emit
        self.full_head = head.detach()  # [V, hidden]: every token, for the enum check only
        self.prefix = prefix
        self.prefix_ids: list[int] = tokenizer(prefix).input_ids
        self._prefix_ok: bool | None = None
        self.runner = make_runner(model, fast=fast)
        self.forwards = 0  # forward passes and tokens run through the model, for the benchmark
        self.tokens_run = 0
        self.other_words: list[tuple[str, float]] = []  # the last decode's off-enum favourites
        self.check_ms: list[float] = []  # each other-word check's cost (ms), for the benchmark
        self.record_words = False  # True: every favourite word into other_words (calibration)

    # ------------------------------------------------------------------ model calls

    def _forward(self, ids: list[int]) -> torch.Tensor:
        self.forwards += 1
        self.tokens_run += len(ids)
        return self.runner.forward(ids)

    def _reset_to_prefix(self) -> int:
        """Crop the cache back to the fixed prefix (computing it the first time)."""
        n = len(self.prefix_ids)
        if self.runner.length < n or self._prefix_ok is False:
            self.runner.crop(0)
            self._forward(self.prefix_ids)
            self._prefix_ok = True
        else:
            self.runner.crop(n)
        return n

    # ------------------------------------------------------------------ choosing tokens

    def _choose(self, hidden: torch.Tensor, text: str) -> int | None:
        """The highest-scoring grammar token that keeps `text` valid (an end id if complete)."""
        logits = self.head @ hidden  # [G]
        complete = self.grammar.status(text) == COMPLETE
        best = int(torch.argmax(logits))
        if self._allowed(best, text, complete):
            chosen: int | None = best
        else:
            if self.reject_impossible and self._meant_out_of_range(best, text):
                raise _Impossible
            order = torch.argsort(logits, descending=True).tolist()
            chosen = next((i for i in order if self._allowed(i, text, complete)), None)
        if (
            self.reject_impossible
            and chosen is not None
            and text.endswith('="')
            and self._meant_other_word(hidden, text, float(logits[chosen]))
        ):
            raise _Impossible
        if self._menu is not None and "(" not in text.rsplit("\n", 1)[-1]:  # inside a name
            self._check_offered(logits, text, chosen)
        return None if chosen is None else int(self.ids[chosen])

    def _check_offered(self, logits: torch.Tensor, text: str, chosen: int | None) -> None:
        """Raise `_Unoffered` when, over the whole catalogue, the model would write another name
        than the offered ones let it (`take` where only `land_drone` is offered)."""
        menu, self.grammar = self.grammar, self._menu
        try:
            complete = menu.status(text) == COMPLETE
            best = int(torch.argmax(logits))
            if not self._allowed(best, text, complete):
                order = torch.argsort(logits, descending=True).tolist()
                best = next((i for i in order if self._allowed(i, text, complete)), best)
        finally:
            self.grammar = menu
        if best != chosen:
            raise _Unoffered

    def _allowed(self, index: int, text: str, complete: bool) -> bool:
        piece = self.texts[index]
        if piece == "":  # an end id
            return complete
        if piece[0] not in self.grammar.next_chars(text):  # cheap test first
            return False
        return self.grammar.status(text + piece) != DEAD

    def _meant_other_word(self, hidden: torch.Tensor, text: str, best_allowed: float) -> bool:
        """At the start of an enum value: the model's favourite token of all is a word that no
        allowed value starts with (`orange` where the colours are red..white), ahead of the best
        allowed value by more than the margin. Case is not a different word: `SOS` is `sos`.
        Each such word and its lead go to `other_words`, for calibrating the margin.

        Where the model keeps word tokens' rows first (the lean runtime), those rows are scored
        first: if no word leads by more than the margin, the favourite cannot be a refusing
        word, and the whole-vocabulary product is skipped (unless `record_words` asks for every
        favourite word)."""
        started = time.perf_counter()
        try:
            best_word = getattr(self.full_head, "best_word", None)
            if best_word is not None and not self.record_words:
                best = best_word(hidden)
                if best is not None and best - best_allowed <= self.enum_margin:
                    return False
            logits = self.full_head @ hidden.to(self.full_head.dtype)
            token = int(torch.argmax(logits))
        finally:
            self.check_ms.append((time.perf_counter() - started) * 1000)
        word = self.tokenizer.decode([token])
        if not word.isalpha() or self.grammar.status(text + word.lower()) != DEAD:
            return False
        lead = float(logits[token]) - best_allowed
        self.other_words.append((word, lead))
        return lead > self.enum_margin

    def _meant_out_of_range(self, index: int, text: str) -> bool:
        piece = self.texts[index]  # "" is an end token: stopping early is not about a number
        return piece != "" and self.grammar.out_of_range(text + piece)

    def _draft(self, text: str) -> list[int]:
        """Tokens the grammar forces next, plus the end token if that makes the output complete."""
        forced = self.grammar.forced(text)
        ids = self.tokenizer(forced, add_special_tokens=False).input_ids if forced else []
        if self.grammar.status(text + forced) == COMPLETE:
            ids.append(min(self.end_ids - {self.tokenizer.eos_token_id}, default=0))
        return [i for i in ids if i in self.token_text]

    # ------------------------------------------------------------------ decoding

    def grammar_for(self, max_calls: int | None, names: frozenset[str] | None) -> CallGrammar:
        """The grammar of one request: at most `max_calls` calls, of the functions `names`."""
        calls = min(max_calls or self.max_calls, self.max_calls)
        key = (calls, names)
        if key not in self._grammars:  # few kinds of request: each grammar's caches are reused
            self._grammars[key] = CallGrammar(
                max_calls=calls, separator="\n", lead_space=self._lead_space, names=names
            )
        return self._grammars[key]

    def decode(
        self,
        prompt: str,
        max_new_tokens: int = MAX_NEW_TOKENS,
        max_calls: int | None = None,
        *,
        names: frozenset[str] | None = None,
        strict: bool = True,
        on_text: Callable[[str], None] | None = None,
    ) -> tuple[str, int, int]:
        """(output text, prompt tokens, completion tokens) for a prompt that starts with the prefix.

        - `max_calls=1` decodes under the one-call grammar (a request that allows no plan);
        - `names` allows only those functions (a request's tools, or the one it names);
        - `strict=False` with `names`: when the model would rather call a function that is not
          offered, it writes that call instead and `finish` says "unoffered" (OpenAI's "auto":
          the caller answers in words rather than force a call nobody asked for);
        - `on_text(text so far)` is called each time the output grows, for streaming;
        - `finish` is "length" when the `max_new_tokens` budget ended the output early.
        """
        grammar = self.grammar_for(max_calls, names)
        self._menu = self.grammar_for(max_calls, None) if grammar.names and not strict else None
        base, self.grammar = self.grammar, grammar
        try:
            return self._decode(prompt, max_new_tokens, on_text)
        except _Unoffered:
            self._menu, self.grammar = None, self.grammar_for(max_calls, None)
            out = self._decode(prompt, max_new_tokens, None)
            self.finish = "unoffered"
            return out
        finally:
            self.grammar, self._menu = base, None

    def _decode(
        self, prompt: str, max_new_tokens: int, on_text: Callable[[str], None] | None
    ) -> tuple[str, int, int]:
        self.other_words, self.finish = [], "stop"
        if prompt.startswith(self.prefix):
            n_prefix = self._reset_to_prefix()
            rest = self.tokenizer(prompt[len(self.prefix) :], add_special_tokens=False).input_ids
        else:  # not our prefix: start from scratch
            self.runner.crop(0)
            self._prefix_ok, n_prefix = False, 0
            rest = self.tokenizer(prompt).input_ids
        try:
            text, produced = self._decode_after(rest, max_new_tokens, on_text or _ignore)
        except BaseException:
            self._prefix_ok = False  # never trust a cache a failed request may have half-written
            raise
        return text, n_prefix + len(rest), produced

    def _decode_after(
        self, rest_ids: list[int], max_new_tokens: int, on_text: Callable[[str], None]
    ) -> tuple[str, int]:
        hidden = self._forward(rest_ids)[-1]
        text, produced = "", 0
        try:
            token = self._choose(hidden, text)
            while token is not None and token not in self.end_ids and produced < max_new_tokens:
                text += self.token_text[token]
                produced += 1
                on_text(text)
                draft = self._draft(text)[: max_new_tokens - produced]  # never past the budget
                hidden_all = self._forward([token, *draft])
                token = None
                for i, drafted in enumerate(draft):
                    chosen = self._choose(hidden_all[i], text)
                    if chosen != drafted:  # the model disagrees: drop the rest of the draft
                        self.runner.crop(self.runner.length - (len(draft) - i))
                        token = chosen
                        break
                    if drafted in self.end_ids:
                        return text, produced + 1
                    text += self.token_text[drafted]
                    produced += 1
                    on_text(text)
                else:
                    token = self._choose(hidden_all[-1], text)
        except _Impossible:  # the model meant a value the catalogue does not allow
            return f"{REJECT}()", produced
        if token is not None and token not in self.end_ids:  # the budget ran out first
            self.finish = "length"
        produced += token in self.end_ids if token is not None else 0
        return text, produced


def _ignore(_: str) -> None:
    """No one is listening to the output as it grows."""


_VOCABULARIES: dict[int, dict[int, str]] = {}


def grammar_vocabulary(tokenizer: Any) -> dict[int, str]:
    """{token id: text} for every token that can occur in a valid output (a small superset).

    The decoder scores only these; fine-tuning takes its softmax over the same set.

    Gemma splits digits into single tokens, so a token is either a digit or a piece of the
    literal text around the numbers; every substring of the sample texts up to the longest
    token's length is looked up. A tokenizer that carries the table already (`call_vocabulary`,
    saved with a derived runtime) is trusted and not scanned.
    """
    saved = getattr(tokenizer, "call_vocabulary", None)
    if saved:
        return saved
    key = id(tokenizer)
    if key in _VOCABULARIES:  # the scan takes a second or two; once per tokenizer is enough
        return _VOCABULARIES[key]
    longest = 24  # longer tokens are runs of spaces or prose, never call text
    wanted: set[str] = set("0123456789")
    for sample in sample_texts():
        for text in (sample, " " + sample, "\n" + sample):
            for i in range(len(text)):
                for j in range(i + 1, min(len(text), i + longest) + 1):
                    wanted.add(text[i:j])
    out = {}
    for token, index in tokenizer.get_vocab().items():
        text = token.replace("\u2581", " ")
        if text in wanted:
            out[index] = text
    _VOCABULARIES[key] = out
    return out


class _TransformersRunner:
    """The general path: any causal LM through its transformers forward and a DynamicCache."""

    def __init__(self, model: Any) -> None:
        self.base = model.get_decoder()
        self.device = next(model.parameters()).device
        self.cache: Any = None

    @property
    def length(self) -> int:
        return 0 if self.cache is None else int(self.cache.get_seq_length())

    def crop(self, length: int) -> None:
        if self.cache is None or length <= 0:
            self.cache = None
        elif length < self.length:
            self.cache.crop(length - self.length)

    @torch.inference_mode()
    def forward(self, ids: list[int]) -> torch.Tensor:
        from transformers import DynamicCache

        if self.cache is None:
            self.cache = DynamicCache()
        x = torch.tensor([ids], device=self.device)
        out = self.base(input_ids=x, cache=self.cache, use_cache=True)
        return out.last_hidden_state[0].float()


def make_runner(model: Any, fast: str | None = "fp32") -> Any:
    """The fastest forward that reproduces `model`: our lean Gemma 3 path, or transformers'.

    `fast` is "int8" (int8 weights, per-row scales), "fp32", or None for the transformers path.
    """
    from copilot.decoding import fast_gemma

    on_cpu = next(model.parameters()).device.type == "cpu"
    if fast and on_cpu and fast_gemma.supports(model):
        return fast_gemma.FastGemma(model, int8=fast == "int8")
    return _TransformersRunner(model)
