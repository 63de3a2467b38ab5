"""Who runs now, who waits, who is turned away: the server's admission of model requests.

`Gate(running=N, waiting=M)` lets N answers be computed at once (`--max-concurrency`, 1 by
default: the local model decodes one request at a time on 2 cores anyway, and a second one would
only share them); the rest wait in a first-come-first-served queue of at most M (`--max-queue`,
16 by default). A request that arrives to a full queue is refused at once with `Busy`, which
`copilot.serve` answers as OpenAI answers an overloaded API: 429, error type
"rate_limit_error", and a `Retry-After` header in seconds.

Why our own queue rather than `asyncio.Semaphore`: a released slot is handed straight to the
request that has waited longest, so a newcomer never overtakes one already waiting (a semaphore
frees the slot first, and whoever acquires next wins it). Why a queue bound: a client that times
out after 60 s is better told at once to come back than served in 5 minutes.

The time a slot is held is the worker thread's, not the client's: a client that hangs up does
not free its slot before the model has finished (the thread cannot be stopped halfway).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

MAX_CONCURRENCY = 1  # answers computed at once
MAX_QUEUE = 16  # requests waiting for a slot before new ones are refused with a 429
_FIRST_GUESS_S = 0.2  # an answer's time before any is measured: local-ft's p50 is about that

T = TypeVar("T")


class Busy(Exception):
    """Every slot is taken and the queue is full; come back after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Gate:
    """At most `running` answers at once, at most `waiting` more in a FIFO queue."""

    def __init__(self, running: int = MAX_CONCURRENCY, waiting: int = MAX_QUEUE) -> None:
        if running < 1 or waiting < 0:
            raise ValueError(f"need running >= 1 and waiting >= 0, got {running} and {waiting}")
        self.limit, self.max_waiting = running, waiting
        self.running = 0
        self._queue: deque[asyncio.Future[None]] = deque()
        self._seconds = _FIRST_GUESS_S  # a moving average of the time one answer takes

    @property
    def waiting(self) -> int:
        return sum(not turn.done() for turn in self._queue)

    def enter(self) -> asyncio.Future[None]:
        """A turn: a future done when this request may run. Raises `Busy` when the queue is
        full. Synchronous, so a streamed request learns it before its stream starts."""
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.running < self.limit and not self.waiting:
            self.running += 1
            turn.set_result(None)
        elif self.waiting >= self.max_waiting:
            raise Busy(
                f"the server is busy: {self.running} requests running and {self.waiting} "
                "waiting, the most it queues; retry after the time in the Retry-After header",
                self.retry_after(),
            )
        else:
            self._queue.append(turn)
        return turn

    def leave(self, turn: asyncio.Future[None]) -> None:
        """Give back `turn`'s slot (to the longest waiting request first), or its place."""
        if not turn.done() or turn.cancelled():  # it never ran: only its place goes
            with contextlib.suppress(ValueError):
                self._queue.remove(turn)
            turn.cancel()
            return
        while self._queue:
            following = self._queue.popleft()
            if not following.done():  # the slot passes on: `running` stays the same
                following.set_result(None)
                return
        self.running -= 1

    def retry_after(self) -> int:
        """Seconds until the queue has likely moved up by one place, at least 1."""
        ahead = self.running + self.waiting
        return max(1, math.ceil(self._seconds * ahead / self.limit))

    async def run(
        self, turn: asyncio.Future[None], work: Callable[..., T], *args: Any, **kwargs: Any
    ) -> T:
        """Wait for `turn`, run `work` in a worker thread, then give the slot on."""
        try:
            await turn
            started = time.monotonic()
            try:
                return await run_in_threadpool(work, *args, **kwargs)
            finally:
                self._seconds = 0.8 * self._seconds + 0.2 * (time.monotonic() - started)
        finally:
            self.leave(turn)
