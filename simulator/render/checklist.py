"""The plan checklist drawn over a drone's map: numbered steps, the running one highlighted, each
finished step's ack in the log's colours, and one line on how the plan stands.

Cheap on purpose (it is drawn every frame): two rectangles a row and cached text surfaces; the
labels are cut to fit once per label and width, not once per frame.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

import pygame

from simulator.render import theme as th
from simulator.render.panel import KIND_STYLE, card
from simulator.state import Ack


class PlanView(Protocol):
    """What the checklist reads of a plan in progress; `simulator.mission.Mission` is one.

    A protocol, not an import: the renderer stays below the mission (which runs the core).
    """

    labels: tuple[str, ...]  # one line of text a step
    acks: list[Ack | None]  # None until the step starts
    active: int | None  # the step flying now
    cancelled: bool

    @property
    def pending(self) -> bool: ...

    @property
    def flying(self) -> bool: ...

    @property
    def stopped_at(self) -> int | None: ...

    def summary(self) -> str: ...


ROW_H = 22
TITLE_H = 28
FOOT_H = 24
HIGHLIGHT = (26, 62, 70)  # the running step's row: the accent, dimmed onto the card
WIDTH = 400  # px, or the map's width less a margin when that is narrower


def height(mission: PlanView) -> int:
    return TITLE_H + ROW_H * len(mission.labels) + FOOT_H + 4


@lru_cache(maxsize=512)
def fit(s: str, size: int, width: int, mono: bool = False) -> str:
    """`s`, cut with an ellipsis to fit `width` pixels."""
    f = th.font(size, False, mono)
    if f.size(s)[0] <= width:
        return s
    while s and f.size(s + "…")[0] > width:
        s = s[: max(0, len(s) - max(1, len(s) // 8))] if len(s) > 24 else s[:-1]
    return s.rstrip() + "…"


def step_style(mission: PlanView, i: int) -> tuple[str, str, th.Color]:
    """(symbol, word, colour) of step i: running, waiting, or its ack as the log shows it."""
    if mission.active == i:
        return "▶", "running", th.ACCENT
    ack = mission.acks[i]
    if ack is None:
        return "○", "waiting", th.FAINT
    symbol, color = KIND_STYLE.get(ack.status, KIND_STYLE["info"])
    return symbol, ack.status, color


def summary(mission: PlanView) -> tuple[str, th.Color]:
    """The foot line, coloured: progress, or how the plan ended (with the stopping reason)."""
    line = mission.summary()
    if mission.active is not None or mission.pending:
        return line, th.MUTED
    stop = mission.stopped_at
    if stop is not None:
        return line, KIND_STYLE[mission.acks[stop].status][1]  # type: ignore[union-attr]
    return line, KIND_STYLE["skipped" if mission.cancelled else "accepted"][1]


def draw_checklist(
    surf: pygame.Surface, area: pygame.Rect, mission: PlanView, corner: str = "bottomleft"
) -> pygame.Rect:
    """Draw the checklist in a corner ("topleft" or "bottomleft") of `area`; returns its rect."""
    w = min(WIDTH, area.w - 24)
    h = height(mission)
    y = area.y + 12 if corner == "topleft" else area.bottom - 44 - h
    rect = pygame.Rect(area.x + 12, y, w, h)
    n = len(mission.labels)
    card(surf, rect, f"PLAN · {n} STEPS", "Space cancels" if mission.pending else None)
    status_w = 86
    label_w = w - 40 - status_w
    y = rect.y + TITLE_H
    for i, label in enumerate(mission.labels):
        symbol, word, color = step_style(mission, i)
        row = pygame.Rect(rect.x + 4, y, w - 8, ROW_H)
        if mission.active == i:
            pygame.draw.rect(surf, HIGHLIGHT, row, border_radius=4)
            pygame.draw.rect(surf, th.ACCENT, (row.x, row.y + 2, 3, row.h - 4))
        ack = mission.acks[i]
        started = ack is not None and ack.status != "skipped"
        number = th.text(f"{i + 1}", 12, color, bold=True)
        surf.blit(number, (rect.x + 14, y + (ROW_H - number.get_height()) // 2))
        text_color = th.TEXT if started or mission.active == i else th.MUTED
        shown = th.text(fit(label, 12, label_w, True), 12, text_color, mono=True)
        surf.blit(shown, (rect.x + 30, y + (ROW_H - shown.get_height()) // 2))
        status = th.text(f"{symbol} {word}", 12, color, bold=True)
        surf.blit(status, (rect.right - status_w - 4, y + (ROW_H - status.get_height()) // 2))
        y += ROW_H
    line, color = summary(mission)
    foot = th.text(fit(line, 11, w - 24), 11, color)
    surf.blit(foot, (rect.x + 12, y + 5))
    return rect
