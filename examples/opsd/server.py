"""opsd entry point: a line-oriented JSON command server.

Run with ``python -m opsd.server --port 7411`` from the ``examples/``
directory, then e.g. ``echo '{"cmd": "hosts.list"}' | nc localhost 7411``.
"""

import argparse
import asyncio
import json
import logging
import os
import time
from dataclasses import asdict

from . import DEFAULT_DB_PATH, DEFAULT_HOST, DEFAULT_PORT, __version__
from . import health, shell
from .events import EventBus, audit_logger
from .inventory import Host, InventoryStore, import_hosts
from .util import format_table, load_settings, wait_for_file

log = logging.getLogger("opsd")

COMMANDS = {"hosts.list", "hosts.add", "hosts.import", "config.get", "exec.run", "service.restart", "status"}


class Daemon:
    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self.store = InventoryStore(db_path)
        self.bus = EventBus()
        self.exec_slots = asyncio.Semaphore(4)  # at most 4 concurrent exec.run
        self.started_at = time.monotonic()

    # -- command handlers -------------------------------------------------

    async def hosts_list(self, req: dict) -> dict:
        hosts = await self.store.list_hosts(role=req.get("role"))
        rows = [asdict(h) for h in hosts]
        return {"hosts": rows, "table": format_table(rows)}

    async def hosts_add(self, req: dict) -> dict:
        host = Host(req["name"], req["address"], req.get("role", "worker"))
        existed = await self.store.get_host(host.name) is not None
        await self.store.upsert_host(host)
        await self.bus.publish("host.updated" if existed else "host.added", name=host.name)
        return {"host": host.name, "created": not existed}

    async def hosts_import(self, req: dict) -> dict:
        hosts = [Host(h["name"], h["address"], h.get("role", "worker")) for h in req["hosts"]]
        return {"imported": await import_hosts(self.db_path, hosts)}

    async def config_get(self, req: dict) -> dict:
        settings = load_settings(self.db_path)
        key = req.get("key")
        return {"settings": settings if key is None else {key: settings.get(key)}}

    async def exec_run(self, req: dict) -> dict:
        async with self.exec_slots:
            output = await shell.run_checked(req["argv"])
        return {"stdout": output}

    async def service_restart(self, req: dict) -> dict:
        unit = req["unit"]
        ok = await shell.restart_service(unit)
        # Units write their PID file once they are up again.
        ready = ok and wait_for_file(req.get("pid_file", f"/run/{unit}.pid"), timeout=10.0)
        if ready and "port" in req:
            ready = await health.wait_for_port("127.0.0.1", int(req["port"]))
        await self.bus.publish("service.restarted", unit=unit, ok=ok, ready=ready)
        logs = await shell.tail_journal(unit, lines=20) if not ok else ""
        return {"ok": ok, "ready": ready, "journal": logs}

    async def status(self, req: dict) -> dict:
        hosts = await self.store.list_hosts()
        latency = await health.probe_hosts([(h.name, h.address) for h in hosts])
        return {
            "version": __version__,
            "uptime": round(time.monotonic() - self.started_at, 1),
            "kernel": await shell.kernel_version(),
            "disk": await shell.disk_usage("/"),
            "fsync_seconds": await health.disk_latency(os.path.dirname(os.path.abspath(self.db_path))),
            "hosts": latency,
        }

    # -- transport ---------------------------------------------------------

    async def dispatch(self, req: dict) -> dict:
        cmd = req.get("cmd", "")
        if cmd not in COMMANDS:
            return {"error": f"unknown command {cmd!r}"}
        # "hosts.list" -> self.hosts_list, "service.restart" -> self.service_restart
        handler = getattr(self, cmd.replace(".", "_"))
        try:
            return await handler(req)
        except Exception as exc:  # report, keep serving
            log.exception("command %s failed", req.get("cmd"))
            return {"error": str(exc)}

    async def handle_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    req = json.loads(line)
                except json.JSONDecodeError:
                    reply = {"error": "invalid JSON"}
                else:
                    reply = await self.dispatch(req)
                writer.write(json.dumps(reply, default=str).encode() + b"\n")
                await writer.drain()
        finally:
            writer.close()
            await writer.wait_closed()


async def serve(host: str, port: int, db_path: str) -> None:
    daemon = Daemon(db_path)
    await daemon.store.open()
    heartbeat = health.Heartbeat(db_path + ".heartbeat")
    heartbeat.start()
    stop = asyncio.Event()
    audit = asyncio.create_task(audit_logger(daemon.bus, stop))
    server = await asyncio.start_server(daemon.handle_client, host, port)
    log.info("opsd %s listening on %s:%d", __version__, host, port)
    try:
        async with server:
            await server.serve_forever()
    finally:
        stop.set()
        await audit
        heartbeat.stop()
        await daemon.store.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="opsd")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--db", default=os.environ.get("OPSD_DB", DEFAULT_DB_PATH))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    log.info("build %s", shell.build_info())
    try:
        asyncio.run(serve(args.host, args.port, args.db))
    except KeyboardInterrupt:
        log.info("shutting down")


if __name__ == "__main__":
    main()
