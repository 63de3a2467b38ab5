"""The tokenizer of the lean runtime: Gemma's BPE on `tokenizers`, built per text from the few
tokens the text can contain.

Why: `tokenizers` loads Gemma 3's `tokenizer.json` (262,144 tokens, 514,906 merges) in about a
second and holds about 290 MB for it, more than the int8 model itself, while a command is a
sentence. A BPE merge joins two adjacent symbols of the text into a longer one, so every symbol
and every merge that can occur while encoding a text is a substring of that text (after the
normaliser, which only turns spaces into `▁`). So `tokenizers` encoding the text with only
those tokens and merges (ranks kept in order), the 256 byte-fallback tokens and the added tokens
that occur in the text gives exactly the ids the full tokenizer gives (tests compare them on
every suite and validation prompt). The vocabulary and merges are saved once as a token list and
an int32 array of (left, right, result) ids (`save`), read in a fraction of a second (`CompactBPE.load`); the small tokenizer
of each distinct text is kept in an LRU cache, since the decoder tokenizes the same forced text
again and again.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

SPACE = "\u2581"  # sentencepiece's visible space
CACHE_SIZE = 4096


def save(tokenizer_json: Path, folder: Path) -> None:
    """The full tokenizer as `tokens.json` (token strings by id, the pipeline, added tokens) and
    `merges.npy` ([M, 3] int32: left, right and result token ids, by rank; -1 for no result)."""
    spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    vocab: dict[str, int] = spec["model"]["vocab"]
    tokens = [""] * (max(vocab.values()) + 1)
    for text, index in vocab.items():
        tokens[index] = text
    merges = np.array(
        [
            [vocab[left], vocab[right], vocab.get(left + right, -1)]
            for left, right in spec["model"]["merges"]
        ],
        dtype=np.int32,
    )
    np.save(folder / "merges.npy", merges)
    model = {k: v for k, v in spec["model"].items() if k not in ("vocab", "merges")}
    pipeline = {k: spec[k] for k in ("normalizer", "pre_tokenizer", "post_processor", "decoder")}
    meta = {"tokens": tokens, "model": model, "pipeline": pipeline, "added": spec["added_tokens"]}
    (folder / "tokens.json").write_text(json.dumps(meta), encoding="utf-8")


class CompactBPE:
    """Encode and decode like the full `tokenizers` tokenizer, from `save`'s files."""

    def __init__(self, meta: dict[str, Any], merges: np.ndarray) -> None:
        self.tokens: list[str] = meta["tokens"]
        self.ids = {text: i for i, text in enumerate(self.tokens)}
        self.longest = max(map(len, self.tokens))
        self.model, self.pipeline, self.added = meta["model"], meta["pipeline"], meta["added"]
        self.merges = merges[:, :2]
        self.results = merges[:, 2]  # the token each merge makes
        fallback = [f"<0x{b:02X}>" for b in range(256)]
        self.always = [self.ids[t] for t in fallback if t in self.ids]
        if self.model.get("unk_token") in self.ids:
            self.always.append(self.ids[self.model["unk_token"]])
        self._cache: OrderedDict[str, Any] = OrderedDict()

    @classmethod
    def load(cls, folder: Path) -> CompactBPE:
        meta = json.loads((folder / "tokens.json").read_text(encoding="utf-8"))
        return cls(meta, np.load(folder / "merges.npy"))

    def _tokenizer_for(self, text: str) -> Any:
        """A `tokenizers.Tokenizer` holding only what encoding `text` can use."""
        from tokenizers import Tokenizer

        normal = text.replace(" ", SPACE)
        present = {
            index
            for i in range(len(normal))
            for j in range(i + 1, min(len(normal), i + self.longest) + 1)
            if (index := self.ids.get(normal[i:j])) is not None
        }
        present.update(self.always)
        inside = np.zeros(len(self.tokens), dtype=bool)
        inside[list(present)] = True
        a, b = self.merges[:, 0], self.merges[:, 1]
        keep = inside[a] & inside[b] & (self.results >= 0) & inside[np.maximum(self.results, 0)]
        spec = {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [t for t in self.added if t["content"] in text],
            **self.pipeline,
            "model": {
                **self.model,
                "vocab": {self.tokens[i]: i for i in sorted(present)},
                "merges": [[self.tokens[x], self.tokens[y]] for x, y in self.merges[keep].tolist()],
            },
        }
        return Tokenizer.from_str(json.dumps(spec))

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        tokenizer = self._cache.get(text)
        if tokenizer is None:
            tokenizer = self._cache[text] = self._tokenizer_for(text)
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(text)
        return tokenizer.encode(text, add_special_tokens=add_special_tokens).ids

    def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        """Spaces for `▁`, byte-fallback tokens joined into UTF-8, as Gemma's decoder does."""
        special = {t["id"] for t in self.added if t.get("special")}
        out, pending = [], bytearray()
        for index in ids:
            if skip_special_tokens and index in special:
                continue
            token = self.tokens[index]
            if len(token) == 6 and token.startswith("<0x") and token.endswith(">"):
                pending.append(int(token[3:5], 16))
                continue
            if pending:
                out.append(pending.decode("utf-8", errors="replace"))
                pending = bytearray()
            out.append(token.replace(SPACE, " "))
        if pending:
            out.append(pending.decode("utf-8", errors="replace"))
        return "".join(out)


class LeanTokenizer:
    """The few tokenizer calls the grammar decoder makes, on a `CompactBPE`.

    `call_vocabulary` is the grammar vocabulary saved with the weights, so the decoder need not
    scan the 262k-token vocabulary again.
    """

    def __init__(self, bpe: CompactBPE, call_vocabulary: dict[int, str] | None = None) -> None:
        self.bpe = bpe
        self.eos_token_id = bpe.ids.get("<eos>")
        self.pad_token_id = bpe.ids.get("<pad>")
        self.call_vocabulary = call_vocabulary

    def __call__(self, text: str, add_special_tokens: bool = True) -> SimpleNamespace:
        return SimpleNamespace(input_ids=self.bpe.encode(text, add_special_tokens))

    def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        return self.bpe.decode(ids, skip_special_tokens)

    def token_to_id(self, token: str) -> int | None:
        return self.bpe.ids.get(token)

    convert_tokens_to_ids = token_to_id

    def get_vocab(self) -> dict[str, int]:
        return dict(self.bpe.ids)
