"""The call syntax as a small grammar, built from the catalogue: which texts can still become valid calls.

Every valid call, written the way `str(ToolCall)` writes it (`control_camera(mode="video",
duration=30)`), is one of a few dozen *skeletons*: a function name and its arguments in schema
order, with each enum value spelled out and each number left as a slot with its range. The
skeletons are enumerated from the catalogue itself (every combination of enum values and optional
arguments that `validate_call` accepts), so the conditional rules (duration iff video, colour
unless rainbow, coordinates iff custom) come for free.

An integer slot also takes one operation on a whole number, `10*60`, `30/2`, `80-30` or `35+5`, evaluated
by `evaluate` here and by the parser: the fine-tuned model copies the numbers the user said and
names the arithmetic ("a ten-minute video" is `duration=10*60`), see `finetune.targets`.

`CallGrammar.status(text)` says whether `text` is a dead end, a prefix of a valid output, or a
complete output; `forced(text)` is the literal text every valid continuation starts with. The
decoder uses both to constrain a model token by token. Pure Python, no torch.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache, lru_cache
from math import ceil, floor, isqrt

from copilot.catalog import FUNCTION_NAMES, REJECT, ToolCall, parameters_schema, validate_call

DEAD, PARTIAL, COMPLETE = 0, 1, 2
MAX_DECIMALS = 7
# a number, or a number and one operation on a whole number: `10*60`, `30/2`, `80-30`, `35+5`
OPERATORS = "*/+-"
_NUMBER = re.compile(r"-?[0-9]*\.?[0-9]*(?:[*/+-][0-9]*)?")
_OPERATOR = re.compile(r"(?<=[0-9.])[*/+-]")
_PLAIN = re.compile(r"-?[0-9]*\.?[0-9]*")
_INT_FORM = re.compile(r"-?(0|[1-9][0-9]*)")
_FLOAT_FORM = re.compile(r"-?(0|[1-9][0-9]*)\.[0-9]{1,7}")  # up to MAX_DECIMALS
_WHOLE = re.compile(r"[1-9][0-9]{0,3}")  # the right-hand side of an operation: 2, 60, 3600
_RIGHT_MAX = 9999


def _apply(left: Decimal, operator: str, right: Decimal) -> Decimal:
    if operator == "*":
        return left * right
    if operator == "+":
        return left + right
    return left - right if operator == "-" else left / right


def evaluate(s: str) -> Decimal | None:
    """The value of a slot's text: `30` -> 30, `10*60` -> 600, `30/2` -> 15; None if malformed.

    The model copies the numbers the user said and names the arithmetic, and this does it, which
    a 270M model cannot do reliably ("a ten-minute video" is `duration=10*60`).
    """
    operator = _OPERATOR.search(s)
    left = s if operator is None else s[: operator.start()]
    if not (_INT_FORM.fullmatch(left) or _FLOAT_FORM.fullmatch(left)) or left == "-0":
        return None
    value = Decimal(left)
    if operator is None:
        return value
    right = s[operator.end() :]
    if not _WHOLE.fullmatch(right) or value == 0:  # nothing is worked out from zero
        return None
    return _apply(value, operator.group(), Decimal(right))


def _right_spans(right: str) -> list[tuple[int, int]]:
    """The whole numbers a right-hand side that starts with `right` can still become."""
    if not right:
        return [(1, _RIGHT_MAX)]
    n = int(right)
    return [(n * 10**k, min((n + 1) * 10**k - 1, _RIGHT_MAX)) for k in range(5 - len(right))]


@lru_cache(maxsize=65536)
def _lands(x: Fraction, operator: str, a: int, b: int, lo: int, hi: int) -> bool:
    """Whether `x operator d` is an integer in [lo, hi] for some whole number d in [a, b].

    Exact, not just the interval between the ends: `-120/1000` could pass for -0.12, but no
    whole number of that form is an integer, and the decoder must never open a text it cannot
    finish.
    """
    if operator == "-":
        return x.denominator == 1 and x - b <= hi and x - a >= lo
    if operator == "+":
        return x.denominator == 1 and x + a <= hi and x + b >= lo
    if operator == "*":  # x * d is whole when d is a multiple of x's denominator
        first, last = sorted((Fraction(lo) / x, Fraction(hi) / x))
        start, end = max(a, ceil(first)), min(b, floor(last))
        step = x.denominator
        return start <= end and (end // step) * step >= start
    if x.denominator != 1:  # a fraction divided by a whole number is never whole
        return False
    n = abs(x.numerator)
    if n / b > max(abs(lo), abs(hi)):  # cheap bound first: every quotient is too large
        return False
    for i in range(1, isqrt(n) + 1):
        if n % i == 0:
            for d in (i, n // i):
                if a <= d <= b and lo <= x / d <= hi:
                    return True
    return False


@dataclass(frozen=True)
class Slot:
    """A number inside a call: an integer or a decimal, with its inclusive range.

    An integer may also be written as one operation on a whole number (`10*60`), checked against
    the range once it is complete.
    """

    kind: str  # "int" or "float"
    lo: float
    hi: float

    def complete(self, s: str) -> bool:
        if _OPERATOR.search(s) is None:  # a plain number, in its slot's form: `90.0` for a latitude
            form = _INT_FORM if self.kind == "int" else _FLOAT_FORM
            if not form.fullmatch(s) or s == "-0":
                return False
        elif self.kind != "int":
            return False  # decimals (coordinates) are said as they are, never worked out
        value = evaluate(s)
        if value is None or (self.kind == "int" and value != value.to_integral_value()):
            return False
        return Decimal(str(self.lo)) <= value <= Decimal(str(self.hi))

    def prefix(self, s: str) -> bool:
        """Whether some completion of `s` is a valid value for this slot.

        A decimal's digits are checked against the range as they come. An integer past its range
        stays open while one operation could bring it back (`600` may still become `600/2`), and
        every open text has a valid completion, so the decoder never writes itself into a corner.
        """
        if self.kind != "int":
            return _PLAIN.fullmatch(s) is not None and self._number_prefix(s)
        operator = _OPERATOR.search(s)
        if operator is not None:
            left, right = s[: operator.start()], s[operator.end() :]
            if right and not _WHOLE.fullmatch(right):
                return False
            return self._reachable(left, operator.group(), _right_spans(right))
        if not _PLAIN.fullmatch(s):
            return False
        return self._number_prefix(s) or any(  # or an operation may follow that comes back
            self._reachable(s, op, _right_spans("")) for op in OPERATORS
        )

    def _reachable(self, left: str, operator: str, spans: list[tuple[int, int]]) -> bool:
        """Whether `left` `operator` some whole number in `spans` is an integer in the range."""
        x = evaluate(left)
        if x is None or x == 0:
            return False
        lo, hi = ceil(Decimal(str(self.lo))), floor(Decimal(str(self.hi)))
        return any(_lands(Fraction(x), operator, a, b, lo, hi) for a, b in spans)

    def _number_prefix(self, s: str) -> bool:
        """Whether some completion of the plain number `s` is in range."""
        if s in ("", "-"):
            return s == "" or self.lo < 0
        neg = s.startswith("-")
        body = s[1:] if neg else s
        whole, dot, frac = body.partition(".")
        if not whole or (len(whole) > 1 and whole[0] == "0") or (neg and body == "0"):
            return False
        if dot and (self.kind == "int" or len(frac) > MAX_DECIMALS):
            return False
        sign = -1 if neg else 1
        if dot:  # completions lie in [x, x + 10^-len(frac)] (towards larger magnitude)
            x = Decimal(whole + "." + (frac or "0"))
            spans = [(x, x + Decimal(1).scaleb(-len(frac)))]
        else:  # completions: x itself, x.ddd, and x followed by k more digits
            x = Decimal(whole)
            spans = [(x, x + 1)] if x == 0 else []
            spans += [(x * 10**k, (x + 1) * 10**k) for k in range(0, 7) if x != 0 or k == 0]
            if self.kind == "int":
                spans = [(a, b - 1) for a, b in spans]
        for a, b in spans:
            lo, hi = (a, b) if sign > 0 else (-b, -a)
            if hi >= Decimal(str(self.lo)) and lo <= Decimal(str(self.hi)):
                return True
        return False


Segment = str | Slot


def _sample(spec: dict) -> object:
    """A valid value for a number spec, used only to test which skeletons validate."""
    lo, hi = spec.get("minimum", 0), spec.get("maximum", 1)
    return (lo + hi) // 2 if spec.get("type") == "integer" else (lo + hi) / 2.0


def _segments_for(key: str, spec: dict, value: object) -> list[Segment]:
    """The segments of one `key=value` argument, in `str(ToolCall)`'s spelling."""
    if "enum" in spec:
        return [f"{key}={json.dumps(value)}"]
    if "properties" in spec:  # an object of numbers, e.g. coordinates
        out: list[Segment] = [f"{key}={{"]
        for i, (sub, sub_spec) in enumerate(spec["properties"].items()):
            out.append(("" if i == 0 else ", ") + f"{json.dumps(sub)}: ")
            out.append(_slot(sub_spec))
        out.append("}")
        return out
    return [f"{key}=", _slot(spec)]


def _slot(spec: dict) -> Slot:
    kind = "int" if spec.get("type") == "integer" else "float"
    return Slot(kind, spec.get("minimum", -1e9), spec.get("maximum", 1e9))


def _merge(segments: list[Segment]) -> tuple[Segment, ...]:
    """Adjacent literals joined, so a skeleton alternates literal and slot."""
    out: list[Segment] = []
    for seg in segments:
        if isinstance(seg, str) and out and isinstance(out[-1], str):
            out[-1] += seg
        elif seg != "":
            out.append(seg)
    return tuple(out)


@cache
def skeletons() -> tuple[tuple[Segment, ...], ...]:
    """Every call shape the catalogue accepts, enumerated and checked by `validate_call`."""
    found = []
    for name in FUNCTION_NAMES:
        schema = parameters_schema(name, descriptions=False)
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        choices = []
        for key, spec in props.items():
            values: list[object] = list(spec["enum"]) if "enum" in spec else [_sample_value(spec)]
            if key not in required:
                values.append(None)  # absent
            choices.append([(key, spec, v) for v in values])
        for combo in itertools.product(*choices):
            args = {key: v for key, _, v in combo if v is not None}
            if not isinstance(validate_call(name, args), ToolCall):
                continue
            segments: list[Segment] = [f"{name}("]
            present = [(key, spec, v) for key, spec, v in combo if v is not None]
            for i, (key, spec, value) in enumerate(present):
                segments.append(", " if i else "")
                segments += _segments_for(key, spec, value)
            segments.append(")")
            found.append(_merge(segments))
    return tuple(found)


@cache
def loose_skeletons() -> tuple[tuple[Segment, ...], ...]:
    """The same shapes with every number slot unbounded: what the model *meant* to write."""
    unbounded = {"int": Slot("int", -1e15, 1e15), "float": Slot("float", -1e15, 1e15)}
    return tuple(
        tuple(unbounded[seg.kind] if isinstance(seg, Slot) else seg for seg in skeleton)
        for skeleton in skeletons()
    )


def _sample_value(spec: dict) -> object:
    if "properties" in spec:
        return {k: _sample(s) for k, s in spec["properties"].items()}
    return _sample(spec)


def _walk(skeleton: tuple[Segment, ...], text: str) -> tuple[int, str]:
    """(status, forced literal text next) of `text` against one skeleton."""
    i = 0
    for seg in skeleton:
        if isinstance(seg, str):
            rest = text[i : i + len(seg)]
            if len(rest) < len(seg):  # the text ends inside this literal
                return (PARTIAL, seg[len(rest) :]) if seg.startswith(rest) else (DEAD, "")
            if rest != seg:
                return DEAD, ""
            i += len(seg)
        else:
            number = _NUMBER.match(text, i).group()  # type: ignore[union-attr]
            if i + len(number) == len(text):  # the text ends inside (or just before) the number
                return (PARTIAL, "") if seg.prefix(number) else (DEAD, "")
            if not seg.complete(number):
                return DEAD, ""
            i += len(number)
    return (COMPLETE, "") if i == len(text) else (DEAD, "")


class CallGrammar:
    """Outputs of one to `max_calls` calls separated by `separator`, optionally after one space.

    `names` restricts the calls to those functions (a request's `tools`, or the one function its
    `tool_choice` names); None allows every function of the catalogue.
    """

    def __init__(
        self,
        max_calls: int = 4,
        separator: str = "\n",
        lead_space: bool = False,
        names: frozenset[str] | None = None,
    ):
        if names is not None and not names & set(FUNCTION_NAMES):
            raise ValueError(f"no function of the catalogue among {sorted(names)}")
        self.max_calls = max_calls
        self.separator = separator
        self.lead_space = lead_space
        self.names = None if names is None or set(FUNCTION_NAMES) <= names else frozenset(names)
        self.skeletons = skeletons()

    def _parts(self, text: str) -> list[str] | None:
        if self.lead_space and text.startswith(" "):
            text = text[1:]
        parts = text.split(self.separator) if self.max_calls > 1 else [text]
        return parts if len(parts) <= self.max_calls else None

    def _last(self, text: str, loose: bool = False) -> tuple[int, str]:
        """(status, forced) of the text, where every call but the last must be complete."""
        parts = self._parts(text)
        if parts is None:
            return DEAD, ""
        if any(_status_forced(p, names=self.names)[0] != COMPLETE for p in parts[:-1]):
            return DEAD, ""
        if len(parts) > 1 and any(p.startswith(REJECT) for p in parts[:-1]):
            return DEAD, ""  # refusal is atomic: reject_request stands alone
        return _status_forced(parts[-1], loose, len(parts) > 1, self.names)

    def status(self, text: str) -> int:
        return self._last(text)[0]

    def out_of_range(self, text: str) -> bool:
        """Whether `text` is a dead end only because of a number.

        True when the text is well-formed but a number is outside its parameter's range, as in
        `control_gimbal(tilt=-120` or `set_drone_speed(speed=-`: the model meant an impossible
        value, and the decoder answers `reject_request()` rather than clip it to a valid one.
        """
        return self.status(text) == DEAD and self._last(text, loose=True)[0] != DEAD

    def next_chars(self, text: str) -> frozenset[str]:
        """The characters that can follow `text` (for skipping hopeless tokens quickly)."""
        return _next_chars(self, text)

    def forced(self, text: str) -> str:
        """The literal text that every valid continuation of `text` starts with."""
        return self._last(text)[1]


def skeleton_name(skeleton: tuple[Segment, ...]) -> str:
    """The function a skeleton calls: `takeoff_drone` for `takeoff_drone(altitude=`."""
    return str(skeleton[0]).split("(", 1)[0]


@lru_cache(maxsize=65536)
def _status_forced(
    text: str, loose: bool = False, in_plan: bool = False, names: frozenset[str] | None = None
) -> tuple[int, str]:
    """One call's status, and the common literal continuation of every skeleton it fits.

    `in_plan`: the call follows another in the same output, where `reject_request` may not stand.
    `names`: the functions allowed (None: all).
    """
    best, forced = DEAD, None
    for skeleton in loose_skeletons() if loose else skeletons():
        if in_plan and isinstance(skeleton[0], str) and skeleton[0].startswith(REJECT):
            continue
        if names is not None and skeleton_name(skeleton) not in names:
            continue
        status, rest = _walk(skeleton, text)
        if status == DEAD:
            continue
        best = max(best, status)
        if status == COMPLETE:
            rest = ""
        forced = rest if forced is None else _common_prefix(forced, rest)
    if best == COMPLETE:
        forced = ""
    return best, forced or ""


@cache
def _alphabet() -> str:
    """Every character a valid output can contain."""
    literal = {ch for sk in skeletons() for seg in sk if isinstance(seg, str) for ch in seg}
    return "".join(sorted(literal | set("0123456789-.*/+ \n")))


@lru_cache(maxsize=16384)
def _next_chars(grammar: CallGrammar, text: str) -> frozenset[str]:
    return frozenset(ch for ch in _alphabet() if grammar.status(text + ch) != DEAD)


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def sample_texts() -> list[str]:
    """Texts covering every literal and number shape, for picking the grammar's vocabulary."""
    out = []
    for skeleton in skeletons():
        for filler in ("", "-", ".", "-0.", "0", "1*2", "1/2", "1-2", "1+2"):
            out.append("".join(s if isinstance(s, str) else filler for s in skeleton))
    return out
