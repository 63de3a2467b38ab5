"""The offline default teacher: samples from the phrasing grammar, with a fixed dataset makeup.

`TemplateTeacher.sample(kind, rng)` writes one sample of a kind: a catalogue function (its
arguments sampled across their ranges, then phrased) or `reject:<category>`. `quotas(n)` says how
many of each kind a dataset of n examples holds: functions with more to say (arguments, enums,
coordinates) get more examples, and rejects are `REJECT_SHARE` of the whole.
"""

from __future__ import annotations

import math
import random

from copilot import ToolCall, parameters_schema, validate_call
from finetune.dataset import Sample, reject_call
from finetune.phrasing.rendering import phrase
from finetune.teachers.compound import compound_sample
from finetune.teachers.invocations import enumerate_invocations_of, sample_call
from finetune.teachers.mix import LOCAL_COORDINATES_SHARE, TWIN_SHARE
from finetune.teachers.multiturn import context_sample
from finetune.teachers.rejects import reject_prompt
from simulator.core import World


def _local_coordinates(rng: random.Random) -> dict[str, float]:
    """A point within ~450 m of the standard world's pad (37.7694, -122.4862)."""
    world = World()
    angle, dist = rng.uniform(0, 6.283), rng.uniform(20, 450)
    lat, lon = world.to_latlon(dist * math.sin(angle), dist * math.cos(angle))
    decimals = rng.choice([4, 5, 5, 6])
    return {"latitude": round(lat, decimals), "longitude": round(lon, decimals)}


class TemplateTeacher:
    """Prompts from the phrasebook; deterministic for a given `random.Random`."""

    name = "templates"

    def __init__(self, typo_rate: float = 0.05) -> None:
        self.typo_rate = typo_rate
        self._queues: dict[str, list[dict[str, str]]] = {}

    def sample(self, kind: str, rng: random.Random, walk: bool = True) -> Sample:
        """One sample of `kind`. `walk=False` (earlier turns of a conversation) draws the enum
        values at random instead of taking the next combination of the enumeration."""
        if kind.startswith("context:"):
            return context_sample(kind.split(":", 1)[1], rng, self)
        if kind.startswith("compound:"):
            return compound_sample(kind.split(":", 1)[1], rng, self.typo_rate)
        if kind.startswith("reject:"):
            r = reject_prompt(kind.split(":", 1)[1], rng)
            return Sample(r.prompt, reject_call(), kind, intended=r.intended)
        fixed = self._next_enums(kind, rng) if walk else {}
        call = sample_call(kind, rng, **fixed)
        if "coordinates" in call.arguments and rng.random() < LOCAL_COORDINATES_SHARE:
            call = sample_call(kind, rng, **fixed, coordinates=_local_coordinates(rng))
        return Sample(phrase(call.name, call.arguments, rng, self.typo_rate), call, kind)

    def _next_enums(self, kind: str, rng: random.Random) -> dict[str, str]:
        """The enum values of the next invocation of `kind`: the cookbook's enumeration, walked
        in a shuffled round so every combination the rules allow comes up evenly."""
        queue = self._queues.setdefault(kind, [])
        if not queue:
            props = parameters_schema(kind, descriptions=False).get("properties", {})
            for call in enumerate_invocations_of(kind, rng):
                queue.append(
                    {k: v for k, v in call.arguments.items() if "enum" in props.get(k, {})}
                )
            rng.shuffle(queue)
        return queue.pop()

    def batch(self, kind: str, rng: random.Random) -> list[Sample]:
        """One sample, and for half the out-of-range and enum-miss rejects also its valid twin
        (the same sentence with a valid value), so the boundary is learnt from minimal pairs."""
        if kind in ("reject:out_of_range", "reject:enum_miss"):
            r = reject_prompt(kind.split(":", 1)[1], rng)
            out = [Sample(r.prompt, reject_call(), kind, intended=r.intended)]
            if r.twin is not None and rng.random() < TWIN_SHARE:
                prompt, name, args = r.twin
                checked = validate_call(name, args)
                if isinstance(checked, ToolCall):
                    out.append(Sample(prompt, checked, name))
            return out
        return [self.sample(kind, rng)]

    def stats(self) -> dict[str, int]:
        return {}
