"""In-process event bus used to fan out audit events to subscribers.

Everything here is already non-blocking: queues, async context managers,
``asyncio.timeout`` and ``await asyncio.sleep`` only.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import AsyncIterator

log = logging.getLogger(__name__)


@dataclass
class Event:
    kind: str
    payload: dict = field(default_factory=dict)


class EventBus:
    """Broadcast events to every active subscriber queue."""

    def __init__(self, maxsize: int = 100) -> None:
        self._subscribers: set[asyncio.Queue[Event]] = set()
        self._maxsize = maxsize

    async def publish(self, kind: str, **payload) -> None:
        event = Event(kind, payload)
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                log.warning("dropping %s event for slow subscriber", kind)

    @contextlib.asynccontextmanager
    async def subscription(self) -> AsyncIterator["asyncio.Queue[Event]"]:
        queue: asyncio.Queue[Event] = asyncio.Queue(self._maxsize)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)


async def audit_logger(bus: EventBus, stop: asyncio.Event) -> None:
    """Write every event to the log until ``stop`` is set."""
    async with bus.subscription() as queue:
        while not stop.is_set():
            try:
                async with asyncio.timeout(1.0):
                    event = await queue.get()
            except TimeoutError:
                await asyncio.sleep(0)  # idle tick; re-check ``stop``
                continue
            log.info("audit %s %s", event.kind, event.payload)
