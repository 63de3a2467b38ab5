"""The static world the drone flies in: home pad, obstacles, a walking person, limits, GPS origin.

Everything here is immutable and deterministic. Positions are metres in a local frame centred on
the original home pad: x east, y north. Latitude/longitude convert to that frame with an
equirectangular projection around a fixed GPS origin (accurate to centimetres over a few km).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class Obstacle:
    """A building, mast or tree: a footprint (circle or axis-aligned box) with a height in metres."""

    name: str
    kind: str  # "circle" or "box"; also picks the drawing style with `style`
    x: float  # centre (circle) or west edge (box)
    y: float  # centre (circle) or south edge (box)
    height: float
    radius: float = 0.0  # circle only
    width: float = 0.0  # box only, east-west extent
    depth: float = 0.0  # box only, north-south extent
    style: str = "building"  # building / tree / mast / tower: how the renderer draws it

    def contains(self, px: float, py: float, margin: float = 0.0) -> bool:
        """Whether the ground point (px, py) lies inside the footprint grown by `margin`."""
        if self.kind == "circle":
            return (px - self.x) ** 2 + (py - self.y) ** 2 <= (self.radius + margin) ** 2
        return (
            self.x - margin <= px <= self.x + self.width + margin
            and self.y - margin <= py <= self.y + self.depth + margin
        )

    def hit_fraction(
        self, x0: float, y0: float, x1: float, y1: float, margin: float = 0.0
    ) -> float | None:
        """First fraction t in [0, 1] where the segment (x0,y0)->(x1,y1) enters the footprint."""
        dx, dy = x1 - x0, y1 - y0
        if self.kind == "circle":
            fx, fy = x0 - self.x, y0 - self.y
            r = self.radius + margin
            a = dx * dx + dy * dy
            c = fx * fx + fy * fy - r * r
            if c <= 0:
                return 0.0
            if a == 0:
                return None
            b = 2 * (fx * dx + fy * dy)
            disc = b * b - 4 * a * c
            if disc < 0:
                return None
            t = (-b - math.sqrt(disc)) / (2 * a)
            return t if 0.0 <= t <= 1.0 else None
        # Slab test against the grown box.
        lo_x, hi_x = self.x - margin, self.x + self.width + margin
        lo_y, hi_y = self.y - margin, self.y + self.depth + margin
        t_in, t_out = 0.0, 1.0
        for p, d, lo, hi in ((x0, dx, lo_x, hi_x), (y0, dy, lo_y, hi_y)):
            if d == 0:
                if not lo <= p <= hi:
                    return None
                continue
            ta, tb = (lo - p) / d, (hi - p) / d
            if ta > tb:
                ta, tb = tb, ta
            t_in, t_out = max(t_in, ta), min(t_out, tb)
            if t_in > t_out:
                return None
        return t_in


def _default_obstacles() -> tuple[Obstacle, ...]:
    return (
        Obstacle("radio mast", "circle", 0, 140, 70, radius=4, style="mast"),
        Obstacle("office block", "box", 60, 40, 45, width=60, depth=60),
        Obstacle("warehouse", "box", -150, -60, 18, width=70, depth=50),
        Obstacle("apartments", "box", -260, 110, 60, width=60, depth=90),
        Obstacle("water tower", "circle", 165, -150, 38, radius=10, style="tower"),
        Obstacle("old oak", "circle", -60, 80, 20, radius=9, style="tree"),
        Obstacle("birch", "circle", -35, 102, 16, radius=7, style="tree"),
        Obstacle("plane tree", "circle", 45, -70, 22, radius=8, style="tree"),
        Obstacle("chestnut", "circle", 110, 150, 24, radius=10, style="tree"),
        Obstacle("depot", "box", 180, 20, 25, width=60, depth=45),
    )


def _default_person_path() -> tuple[tuple[float, float], ...]:
    # A loop around the park south of the pad, clear of every footprint.
    return ((-20, -25), (25, -25), (25, -110), (-40, -110), (-40, -25))


@dataclass(frozen=True)
class World:
    """Fixed surroundings and limits. `World()` is the standard world every test and suite uses."""

    origin_lat: float = 37.7694  # GPS of the original home pad (a park in San Francisco)
    origin_lon: float = -122.4862
    pad_radius: float = 4.0
    geofence_radius: float = 500.0  # metres from the original pad, horizontally
    ceiling: float = 120.0  # metres above ground, the usual legal limit
    obstacles: tuple[Obstacle, ...] = field(default_factory=_default_obstacles)
    person_path: tuple[tuple[float, float], ...] = field(default_factory=_default_person_path)
    person_speed: float = 1.4  # m/s, walking pace

    # ---------------------------------------------------------------- GPS <-> local metres
    def to_local(self, latitude: float, longitude: float) -> tuple[float, float]:
        """(x east, y north) in metres from the GPS origin."""
        lat0 = math.radians(self.origin_lat)
        x = math.radians(longitude - self.origin_lon) * EARTH_RADIUS_M * math.cos(lat0)
        y = math.radians(latitude - self.origin_lat) * EARTH_RADIUS_M
        return x, y

    def to_latlon(self, x: float, y: float) -> tuple[float, float]:
        """(latitude, longitude) of a local point; the inverse of `to_local`."""
        lat0 = math.radians(self.origin_lat)
        lat = self.origin_lat + math.degrees(y / EARTH_RADIUS_M)
        lon = self.origin_lon + math.degrees(x / (EARTH_RADIUS_M * math.cos(lat0)))
        return lat, lon

    # ---------------------------------------------------------------- limits and obstacles
    def inside_fence(self, x: float, y: float) -> bool:
        return math.hypot(x, y) <= self.geofence_radius + 1e-6

    def obstacle_at(self, x: float, y: float, altitude: float = 0.0) -> Obstacle | None:
        """The obstacle whose footprint holds (x, y) and that rises above `altitude`, if any."""
        for ob in self.obstacles:
            if ob.height > altitude and ob.contains(x, y):
                return ob
        return None

    def first_hit(
        self, x0: float, y0: float, x1: float, y1: float, altitude: float
    ) -> tuple[float, Obstacle] | None:
        """The first obstacle taller than `altitude` on a horizontal segment, with its fraction."""
        best: tuple[float, Obstacle] | None = None
        for ob in self.obstacles:
            if ob.height <= altitude:
                continue
            t = ob.hit_fraction(x0, y0, x1, y1)
            if t is not None and (best is None or t < best[0]):
                best = (t, ob)
        return best

    def tallest_on(self, x0: float, y0: float, x1: float, y1: float) -> float:
        """Height of the tallest obstacle whose footprint the segment crosses (0 if none)."""
        tallest = 0.0
        for ob in self.obstacles:
            if ob.hit_fraction(x0, y0, x1, y1, margin=2.0) is not None:
                tallest = max(tallest, ob.height)
        return tallest

    # ---------------------------------------------------------------- the walking person
    def person_at(self, t: float) -> tuple[float, float]:
        """Where the person is at simulation time t (s): walking the loop at a steady pace."""
        path = self.person_path
        legs = [
            (path[i], path[(i + 1) % len(path)], math.dist(path[i], path[(i + 1) % len(path)]))
            for i in range(len(path))
        ]
        total = sum(length for _, _, length in legs)
        s = (t * self.person_speed) % total
        for (ax, ay), (bx, by), length in legs:
            if s <= length:
                f = s / length if length else 0.0
                return ax + (bx - ax) * f, ay + (by - ay) * f
            s -= length
        return path[0]
