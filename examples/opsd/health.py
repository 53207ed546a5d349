"""Dependency health checks and the heartbeat writer."""

import asyncio
import logging
import os
import socket
import threading
import time

log = logging.getLogger(__name__)


async def wait_for_port(host: str, port: int, retries: int = 5, delay: float = 0.5) -> bool:
    """Retry a TCP connect with exponential backoff."""
    for attempt in range(1, retries + 1):
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError as exc:
            log.info("%s:%d not ready (attempt %d): %s", host, port, attempt, exc)
            time.sleep(delay)
            delay *= 2
            continue
        writer.close()
        await writer.wait_closed()
        return True
    return False


async def probe_hosts(hosts: list[tuple[str, str]], port: int = 22) -> dict[str, float | None]:
    """Return round-trip connect latency per host, or None if unreachable."""
    results: dict[str, float | None] = {}
    for name, address in hosts:
        started = time.monotonic()
        for attempt in range(3):
            try:
                ip = await resolve(address)
                _, writer = await asyncio.wait_for(asyncio.open_connection(ip, port), 2.0)
                writer.close()
                await writer.wait_closed()
                results[name] = time.monotonic() - started
                break
            except (OSError, asyncio.TimeoutError):
                time.sleep(0.2 * (attempt + 1))
        else:
            results[name] = None
    return results


# --- Off-loop work: these run in worker threads and are allowed to block. ---

def _fsync_probe(directory: str) -> float:
    """Measure how long a small write+fsync takes on the data volume."""
    path = os.path.join(directory, ".opsd-fsync-probe")
    started = time.perf_counter()
    with open(path, "wb") as fh:
        fh.write(b"x" * 4096)
        fh.flush()
        os.fsync(fh.fileno())
    time.sleep(0.05)  # let the device settle before the next probe
    os.unlink(path)
    return time.perf_counter() - started


def _resolve(name: str) -> str:
    time.sleep(0.01)  # crude rate limit for the system resolver
    return socket.gethostbyname(name)


async def disk_latency(directory: str) -> float:
    return await asyncio.to_thread(_fsync_probe, directory)


async def resolve(name: str) -> str:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, _resolve, name)


class Heartbeat:
    """Rewrite a timestamp file every ``interval`` seconds from a daemon thread.

    The supervisor watches this file; it must keep ticking even if the loop stalls.
    """

    def __init__(self, path: str, interval: float = 5.0) -> None:
        self.path = path
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            with open(self.path, "w") as fh:
                fh.write(f"{time.time():.0f}\n")
            time.sleep(self.interval)
