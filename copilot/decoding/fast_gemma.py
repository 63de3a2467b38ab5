"""A lean Gemma 3 text forward pass for decoding one sequence on the CPU.

Why it exists: decoding one token at batch size 1 reads every weight once. In fp32 that is ~400 MB
a token for Gemma 3 270M's transformer layers, so the time goes to memory traffic plus the
per-module overhead of the general transformers code (masks, cache classes, hooks). This module
runs the same math (checked against transformers in tests/copilot/test_local.py) with:
- fused projections: q|k|v in one matrix and gate|up in one, so 4 matmuls a layer instead of 7;
- optional int8 weight-only quantization, one scale per output row (`torch._weight_int8pack_mm`),
  which cuts the bytes read per token by 4; in int8 the embedding is int8 rows too, dequantised
  on lookup (168 MB instead of 671 MB), and nothing keeps an fp32 copy;
- a preallocated KV cache that is cropped by moving an index;
- optionally, the embedding rows of word tokens first (`words_first`): the decoder's other-word
  check can then look at those rows alone and needs the whole vocabulary only when a word leads.
It is built from a loaded transformers model (after any LoRA merge, `from_model`) or from the
tensors it saved (`tensors()`), so the runtime needs neither transformers nor
the fp32 weights once those tensors are cached (`copilot.backends.local_model`).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import torch
import torch.nn.functional as F

NORMS = ("q_norm", "k_norm", "in_norm", "post_attn_norm", "pre_ff_norm", "post_ff_norm")
LINEARS = ("qkv", "o", "gate_up", "down")
WORD_BLOCK = 256  # the word rows' count is rounded up to whole blocks of this many
CONFIG_KEYS = (
    "hidden_size", "num_attention_heads", "num_key_value_heads", "head_dim",
    "query_pre_attn_scalar", "rms_norm_eps", "sliding_window", "layer_types", "vocab_size",
)  # fmt: skip


def supports(model: Any) -> bool:
    """Whether `model` is a Gemma 3 text model this forward reproduces."""
    config = getattr(model, "config", None)
    return getattr(config, "model_type", "") == "gemma3_text" and not getattr(
        config, "use_bidirectional_attention", False
    )


def quantize_rows(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """int8 rows and one fp32 scale per row: weight ~= q * scale[:, None]."""
    scales = weight.abs().amax(dim=1).clamp(min=1e-8) / 127.0
    return torch.round(weight / scales[:, None]).clamp(-127, 127).to(torch.int8), scales


class _Linear:
    """y = x @ W.T, with W kept in fp32 or as int8 rows with per-row scales."""

    def __init__(self, weight: torch.Tensor, scales: torch.Tensor | None = None) -> None:
        self.weight = weight  # [out, in]: fp32, or int8 when `scales` is given
        self.scales = None if scales is None else scales.to(torch.bfloat16)  # [out]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.scales is not None:
            return torch._weight_int8pack_mm(x.to(torch.bfloat16), self.weight, self.scales).float()
        return F.linear(x, self.weight)


class LeanGemma:
    """Gemma 3 decoder stack with its own KV cache: `forward(ids)` -> final hidden states.

    `tensors` (names as `tensors()` gives them): `embed` [V, hidden] fp32 or int8 with
    `embed.scales` [V]; per layer `layers.{i}.{qkv,o,gate_up,down}` (int8 ones with `.scales`)
    and the six norms as `1 + weight`; `final_norm`. `config`: the `CONFIG_KEYS` and
    `rope_theta` per layer type.
    """

    def __init__(
        self, tensors: dict[str, torch.Tensor], config: dict[str, Any], *, max_len: int = 2048
    ) -> None:
        self.settings = config
        # Read by the grammar decoder as it reads a transformers model's (see `supports`).
        self.config = SimpleNamespace(model_type="gemma3_text", use_bidirectional_attention=False)
        self.hidden = config["hidden_size"]
        self.n_heads, self.n_kv = config["num_attention_heads"], config["num_key_value_heads"]
        self.head_dim = config["head_dim"]
        self.scaling = config["query_pre_attn_scalar"] ** -0.5
        self.eps = config["rms_norm_eps"]
        self.window = config["sliding_window"]
        self.max_len = max_len
        self.embed = tensors["embed"]  # [V, hidden], in token order unless `embed.order` is given
        self.embed_scales = tensors.get("embed.scales")  # [V] when the rows are int8
        # `embed.order`: the token id of each row, the `embed.words` word tokens first.
        self.order = tensors.get("embed.order")
        self.n_words = int(tensors["embed.words"][0]) if "embed.words" in tensors else 0
        self.row_of = None  # token id -> row
        if self.order is not None:
            self.row_of = torch.empty_like(self.order)
            self.row_of[self.order] = torch.arange(len(self.order))
        self.int8 = self.embed_scales is not None
        self._embed_scales_bf16 = None if not self.int8 else self.embed_scales.to(torch.bfloat16)
        self.embed_scale = float(self.hidden**0.5)
        # Rows kept exact in fp32 (the tokens the call grammar can emit), looked up by position.
        self.head_ids, self.head_rows = tensors.get("head.ids"), tensors.get("head.rows")
        self.head_pos = None
        if self.head_ids is not None:
            self.head_pos = torch.full((self.embed.shape[0],), -1, dtype=torch.long)
            self.head_pos[self.head_ids] = torch.arange(len(self.head_ids))
        n_layers = len(config["layer_types"])
        self.layers = [
            {
                **{k: _Linear(tensors[f"layers.{i}.{k}"], tensors.get(f"layers.{i}.{k}.scales"))
                   for k in LINEARS},
                **{k: tensors[f"layers.{i}.{k}"] for k in NORMS},
            }
            for i in range(n_layers)
        ]  # fmt: skip
        self.final_norm = tensors["final_norm"]
        self.sliding = [t == "sliding_attention" for t in config["layer_types"]]
        thetas = config["rope_theta"]
        self.rope = {kind: self._rope_table(thetas[kind]) for kind in set(config["layer_types"])}
        self.rope_of = [self.rope[t] for t in config["layer_types"]]
        shape = (n_layers, self.n_kv, max_len, self.head_dim)
        # Never read past `length`, so left unwritten: the OS backs only the positions used,
        # about 36 KiB a token instead of 72 MiB up front.
        self.k_cache = torch.empty(shape)
        self.v_cache = torch.empty(shape)
        self.length = 0

    def tensors(self) -> dict[str, torch.Tensor]:
        """Every weight by name, as `__init__` takes them (for saving to a cache)."""
        out = {"embed": self.embed, "final_norm": self.final_norm}
        if self.embed_scales is not None:
            out["embed.scales"] = self.embed_scales
        if self.order is not None:
            out["embed.order"] = self.order
            out["embed.words"] = torch.tensor([self.n_words, len(self.order)])
        if self.head_ids is not None and self.head_rows is not None:
            out["head.ids"], out["head.rows"] = self.head_ids, self.head_rows
        for i, layer in enumerate(self.layers):
            for key in LINEARS:
                out[f"layers.{i}.{key}"] = layer[key].weight
                if layer[key].scales is not None:
                    out[f"layers.{i}.{key}.scales"] = layer[key].scales.float()
            for key in NORMS:
                out[f"layers.{i}.{key}"] = layer[key]
        return out

    # What the grammar decoder asks of a transformers model, so a LeanGemma stands in for one.
    def parameters(self) -> Any:
        yield self.final_norm  # the device: the CPU

    def get_output_embeddings(self) -> SimpleNamespace:
        return SimpleNamespace(weight=_TiedRows(self))

    def embed_rows(self, ids: torch.Tensor) -> torch.Tensor:
        """The embedding rows of `ids` in fp32 [n, hidden] (the tied output rows too)."""
        ids = torch.as_tensor(ids, dtype=torch.long)
        at = ids if self.row_of is None else self.row_of[ids]
        rows = self.embed[at]
        if self.embed_scales is None:
            return rows.float()
        rows = rows.float() * self.embed_scales[at][:, None]
        if self.head_pos is not None and self.head_rows is not None:
            pos = self.head_pos[ids]
            exact = pos >= 0
            rows[exact] = self.head_rows[pos[exact]]
        return rows

    def all_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Logits over the whole vocabulary [V] for one hidden state (the tied output layer)."""
        logits = self._row_logits(hidden, len(self.embed))
        if self.order is None:
            return logits
        out = torch.empty_like(logits)
        out[self.order] = logits
        return out

    def best_word_logit(self, hidden: torch.Tensor) -> float | None:
        """The highest logit among the word tokens' rows (a superset of every token that decodes
        to letters only), or None when the rows are not ordered words first."""
        return float(self._row_logits(hidden, self.n_words).max()) if self.n_words else None

    def _row_logits(self, hidden: torch.Tensor, n: int) -> torch.Tensor:
        """Logits of the first `n` rows, in row order."""
        if self._embed_scales_bf16 is None:
            return self.embed[:n] @ hidden.to(self.embed.dtype)
        x = hidden.reshape(1, -1).to(torch.bfloat16)
        rows, scales = self.embed[:n], self._embed_scales_bf16[:n]
        return torch._weight_int8pack_mm(x, rows, scales)[0].float()

    def _rope_table(self, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
        inv = 1.0 / (
            theta ** (torch.arange(0, self.head_dim, 2, dtype=torch.float) / self.head_dim)
        )
        freqs = torch.arange(self.max_len, dtype=torch.float)[:, None] * inv[None, :]
        emb = torch.cat([freqs, freqs], dim=-1)  # [max_len, head_dim]
        return emb.cos(), emb.sin()

    def _rms(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * weight

    @staticmethod
    def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        half = x.shape[-1] // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * cos + rotated * sin

    def crop(self, length: int) -> None:
        """Forget every cached position from `length` on."""
        self.length = max(0, min(length, self.length))

    @torch.inference_mode()
    def forward(self, ids: list[int] | torch.Tensor) -> torch.Tensor:
        """Run new tokens after the cached ones; return final hidden states [n, hidden]."""
        ids = torch.as_tensor(ids, dtype=torch.long).reshape(-1)
        n, start = ids.shape[0], self.length
        end = start + n
        if end > self.max_len:
            raise ValueError(f"sequence too long for the KV cache: {end} > {self.max_len} tokens")
        x = self.embed_rows(ids) * self.embed_scale  # [n, hidden]
        q_pos = torch.arange(start, end)[:, None]
        k_pos = torch.arange(end)[None, :]
        causal = k_pos <= q_pos  # [n, end]
        windowed = causal & (k_pos > q_pos - self.window)
        hd, nh, nkv = self.head_dim, self.n_heads, self.n_kv
        for i, layer in enumerate(self.layers):
            cos, sin = (t[start:end] for t in self.rope_of[i])
            h = self._rms(x, layer["in_norm"])
            qkv = layer["qkv"](h)
            q = qkv[:, : nh * hd].view(n, nh, hd).transpose(0, 1)  # [heads, n, hd]
            k = qkv[:, nh * hd : (nh + nkv) * hd].view(n, nkv, hd).transpose(0, 1)
            v = qkv[:, (nh + nkv) * hd :].view(n, nkv, hd).transpose(0, 1)
            q = self._rotate(self._rms(q, layer["q_norm"]), cos, sin)
            k = self._rotate(self._rms(k, layer["k_norm"]), cos, sin)
            self.k_cache[i, :, start:end] = k
            self.v_cache[i, :, start:end] = v
            keys = self.k_cache[i, :, :end].repeat_interleave(nh // nkv, dim=0)
            values = self.v_cache[i, :, :end].repeat_interleave(nh // nkv, dim=0)
            mask = windowed if self.sliding[i] else causal
            attn = F.scaled_dot_product_attention(
                q, keys, values, attn_mask=mask, scale=self.scaling
            )  # [heads, n, hd]
            attn = layer["o"](attn.transpose(0, 1).reshape(n, nh * hd))
            x = x + self._rms(attn, layer["post_attn_norm"])
            h = self._rms(x, layer["pre_ff_norm"])
            gate, up = layer["gate_up"](h).chunk(2, dim=-1)
            h = layer["down"](F.gelu(gate, approximate="tanh") * up)
            x = x + self._rms(h, layer["post_ff_norm"])
        self.length = end
        return self._rms(x, self.final_norm)


def _layer(layer: Any, int8: bool) -> dict[str, torch.Tensor]:
    """One transformers decoder layer's weights: fused, as fp32 or int8 rows with scales."""
    attn, mlp = layer.self_attn, layer.mlp

    def fused(*modules: Any) -> torch.Tensor:
        """The modules' weights stacked by rows. In fp32 the modules then use row views of the
        stacked matrix, so the weights are held once (the values do not change)."""
        weight = torch.cat([m.weight.detach().float() for m in modules])
        if not int8 and all(m.weight.dtype == torch.float32 for m in modules):
            start = 0
            for m in modules:
                rows = m.weight.shape[0]
                m.weight.data = weight[start : start + rows]
                start += rows
        return weight

    out: dict[str, torch.Tensor] = {}
    weights = {
        "qkv": fused(attn.q_proj, attn.k_proj, attn.v_proj),
        "o": attn.o_proj.weight.detach().float(),
        "gate_up": fused(mlp.gate_proj, mlp.up_proj),
        "down": mlp.down_proj.weight.detach().float(),
    }
    for key, weight in weights.items():
        if int8:
            out[key], out[f"{key}.scales"] = quantize_rows(weight)
        else:
            out[key] = weight.contiguous()
    norms = {
        "q_norm": attn.q_norm,
        "k_norm": attn.k_norm,
        "in_norm": layer.input_layernorm,
        "post_attn_norm": layer.post_attention_layernorm,
        "pre_ff_norm": layer.pre_feedforward_layernorm,
        "post_ff_norm": layer.post_feedforward_layernorm,
    }
    for key, module in norms.items():
        out[key] = 1.0 + module.weight.detach().float()
    return out


def model_tensors(
    model: Any, *, int8: bool = True, keep: list[int] | None = None
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The tensors and config of a transformers Gemma 3 (after any LoRA merge), as `LeanGemma`
    takes them. In fp32 the model's own weights are used in place (fused matrices become their
    storage), so nothing is copied; in int8 the model can be dropped afterwards, and the
    embedding rows of `keep` (the tokens the decoder scores and writes) stay exact in fp32."""
    cfg = model.config
    config = {key: getattr(cfg, key) for key in CONFIG_KEYS}
    config["layer_types"] = list(cfg.layer_types)
    config["rope_theta"] = {
        kind: cfg.rope_parameters[kind]["rope_theta"] for kind in set(cfg.layer_types)
    }
    decoder = model.get_decoder()
    tensors: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        embed = decoder.embed_tokens.weight.detach().float()
        if int8:
            tensors["embed"], tensors["embed.scales"] = quantize_rows(embed)
            if keep:
                tensors["head.ids"] = torch.tensor(sorted(set(keep)), dtype=torch.long)
                tensors["head.rows"] = embed[tensors["head.ids"]].clone()
        else:
            tensors["embed"] = embed
        for i, layer in enumerate(decoder.layers):
            for key, value in _layer(layer, int8).items():
                tensors[f"layers.{i}.{key}"] = value
        tensors["final_norm"] = 1.0 + decoder.norm.weight.detach().float()
    return tensors, config


class _TiedRows:
    """The tied output layer of a `LeanGemma` as the decoder uses a weight matrix: `rows[ids]`
    gives fp32 rows (exact for the kept ones), `rows @ hidden` the logits of every token."""

    dtype = torch.float32

    def __init__(self, lean: LeanGemma) -> None:
        self.lean = lean

    def detach(self) -> _TiedRows:
        return self

    def __getitem__(self, ids: torch.Tensor) -> torch.Tensor:
        return self.lean.embed_rows(ids)

    def __matmul__(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.lean.all_logits(hidden)

    def best_word(self, hidden: torch.Tensor) -> float | None:
        return self.lean.best_word_logit(hidden)


def word_ids(vocab: dict[str, int]) -> list[int]:
    """Every token that can decode to letters only: its text (SentencePiece's "\u2581" a space)
    is alphabetic, or it is a byte token of an ASCII letter. A superset is safe; a token left
    out would let the other-word check miss a word."""
    out = []
    for token, index in vocab.items():
        if token.startswith("<0x") and token.endswith(">") and len(token) == 6:
            byte = int(token[3:5], 16)
            if byte < 0x80 and chr(byte).isalpha():
                out.append(index)
        elif token.replace("\u2581", " ").isalpha():
            out.append(index)
    return sorted(out)


def words_first(tensors: dict[str, torch.Tensor], words: list[int]) -> dict[str, torch.Tensor]:
    """The same tensors with the embedding rows of `words` first (`embed.order`, `embed.words`),
    so that `LeanGemma.best_word_logit` reads one contiguous block."""
    n = tensors["embed"].shape[0]
    chosen = torch.zeros(n, dtype=torch.bool)
    chosen[torch.tensor(words, dtype=torch.long)] = True
    order = torch.cat([torch.nonzero(chosen)[:, 0], torch.nonzero(~chosen)[:, 0]])
    # int8pack_mm wants a row count in whole blocks (97,198 rows crash it): round the block up
    # with the rows that follow, a superset that changes nothing.
    count = min(n, -(-len(words) // WORD_BLOCK) * WORD_BLOCK)
    # (word rows, all rows): 16 bytes, so the tensors after it stay 16-byte aligned in the file
    out = dict(tensors, **{"embed.order": order, "embed.words": torch.tensor([count, n])})
    out["embed"] = tensors["embed"][order].contiguous()
    if "embed.scales" in tensors:
        out["embed.scales"] = tensors["embed.scales"][order].contiguous()
    return out


class FastGemma(LeanGemma):
    """A `LeanGemma` built from a transformers Gemma 3 model: `FastGemma(model, int8=...)`.

    A `LeanGemma` passed as the model is returned as it is: the lean runtime's model is already
    its own forward, with nothing to convert.
    """

    def __new__(cls, model: Any, **_: Any) -> Any:
        if isinstance(model, LeanGemma):
            return model
        return super().__new__(cls)

    def __init__(
        self, model: Any, *, int8: bool = True, keep: list[int] | None = None, max_len: int = 2048
    ) -> None:
        if model is self:  # returned by __new__ as it was
            return
        tensors, config = model_tensors(model, int8=int8, keep=keep)
        super().__init__(tensors, config, max_len=max_len)
