"""Numbers in prompts: integers written as words, and every number read back out of a prompt.

The templates teacher writes "forty-five" as often as "45"; the semantic verifier reads both back
(with the unit that follows, so "2 minutes" is 120 seconds) to check that the prompt says what the
call claims.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
WORD_VALUES: dict[str, int] = {w: i for i, w in enumerate(_ONES)} | {
    w: 10 * i for i, w in enumerate(_TENS) if w != "_"
}


def int_to_words(n: int, rng: random.Random | None = None) -> str:
    """0..999 in English words: 45 -> "forty-five" (or "forty five"), 100 -> "a hundred"."""
    if not 0 <= n <= 999:
        raise ValueError(f"int_to_words handles 0..999, got {n}")
    hyphen = "-" if rng is None or rng.random() < 0.7 else " "
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (hyphen + _ONES[ones] if ones else "")
    hundreds, rest = divmod(n, 100)
    head = (
        "a hundred"
        if hundreds == 1 and rng is not None and rng.random() < 0.3
        else (f"{_ONES[hundreds]} hundred")
    )
    if rest == 0:
        return head
    joiner = " and " if rng is not None and rng.random() < 0.3 else " "
    return head + joiner + int_to_words(rest, rng)


@dataclass(frozen=True)
class Number:
    """A number found in text, the word after it (its unit, lower-cased) and where it was."""

    value: float
    unit: str
    start: int
    negative_cue: bool  # written with a minus sign or the word minus/negative


_WORD = "|".join(sorted(WORD_VALUES, key=len, reverse=True))
_WORD_NUMBER = (
    rf"(?:(?:a|one|{_WORD})\s+hundred(?:\s+(?:and\s+)?(?:{_WORD})(?:[\s-](?:{_WORD}))?)?"
    rf"|(?:{_WORD})(?:[\s-](?:{_WORD}))?)"
)
_NUMBER_RE = re.compile(
    rf"(?P<sign>\b(?:minus|negative)\s+|(?<![\w.])-\s?)?"
    rf"(?:(?P<digits>\d+(?:\.\d+)?)|\b(?P<words>{_WORD_NUMBER})\b)"
    rf"(?:\s*-?\s*(?P<unit>[a-zA-Z/°]+(?:/[a-z]+)?))?",
    re.IGNORECASE,
)


def words_to_int(words: str) -> int | None:
    """ "forty-five" -> 45, "a hundred and ten" -> 110; None if it is not a number."""
    total, current = 0, 0
    for part in re.split(r"[\s-]+", words.lower().strip()):
        if part == "and":
            continue
        if part == "hundred":
            current = max(current, 1) * 100
        elif part == "a":
            current = 1
        elif part in WORD_VALUES:
            value = WORD_VALUES[part]
            if current % 10 and value < 10 and current % 100 >= 20:
                return None
            current += value
        else:
            return None
    return total + current


def find_numbers(text: str) -> list[Number]:
    """Every number in `text`, in order, as digits or words, with the word that follows."""
    found = []
    for m in _NUMBER_RE.finditer(text):
        if m.group("digits") is not None:
            value = float(m.group("digits"))
        else:
            parsed = words_to_int(m.group("words"))
            if parsed is None:
                continue
            value = float(parsed)
        found.append(
            Number(
                value=value,
                unit=(m.group("unit") or "").lower(),
                start=m.start(),
                negative_cue=m.group("sign") is not None,
            )
        )
    return found


# --------------------------------------------------------------------------- quantities said

_MINUTES = {"minute", "minutes", "min", "mins"}
_KILOMETRES = {"km", "kilometre", "kilometres", "kilometer", "kilometers"}

# "one more time", "another one" and "a 360 pano" say no number; "km per hour" is a speed
_IDIOMS = re.compile(
    r"\bone more\b|\banother one\b|\b360(?:°|-degree| degree)? (?:pano|panorama|shot|photo)",
    re.IGNORECASE,
)
_SPEED_UNIT = re.compile(r"\b(km|kilomet(?:re|er)s?)\s+(?:per|an|a)\s+hour\b", re.IGNORECASE)


def said_quantities(prompt: str) -> list[tuple[float, int]]:
    """Each number the prompt says, with its unit's factor to the catalogue's unit.

    "a 2 minute video" -> [(2, 60)], "fly 3 km" -> [(3, 1000)], "30 m at 40 km/h" -> [(30, 1),
    (40, 1)].
    """
    out = []
    for n in find_numbers(_SPEED_UNIT.sub("kph", _IDIOMS.sub("again", prompt))):
        factor = 60 if n.unit in _MINUTES else 1000 if n.unit in _KILOMETRES else 1
        out.append((n.value, factor))
    return out


_FACTORS = (
    (re.compile(r"\b(twice|double|two times)\b", re.IGNORECASE), 2.0),
    (re.compile(r"\b(triple|three times)\b", re.IGNORECASE), 3.0),
    (re.compile(r"\bhalf\b", re.IGNORECASE), 0.5),
)


def factor_words(prompt: str) -> list[float]:
    """The factors the prompt names: "twice as far" -> [2.0], "half that" -> [0.5]."""
    return [factor for pattern, factor in _FACTORS if pattern.search(prompt)]
