"""Diagnostic shell commands exposed through the ``exec.*`` commands."""

import logging
import os
import shlex
import subprocess as sp
from subprocess import PIPE, run

log = logging.getLogger(__name__)

# Only these binaries may be run through ``exec.run``.
ALLOWED = {"uptime", "df", "free", "uname", "ss", "journalctl", "systemctl"}


async def run_checked(argv: list[str], timeout: float = 30.0) -> str:
    """Run an allow-listed command and return its stdout."""
    if not argv or argv[0] not in ALLOWED:
        raise PermissionError(f"command not allowed: {argv[:1]}")
    log.info("exec %s", shlex.join(argv))
    try:
        result = sp.run(argv, capture_output=True, text=True, check=True, timeout=timeout)
    except sp.CalledProcessError as exc:
        log.warning("%s exited %d: %s", argv[0], exc.returncode, exc.stderr.strip())
        raise
    return result.stdout


async def kernel_version() -> str:
    return sp.check_output(["uname", "-r"], text=True).strip()


async def disk_usage(mount: str = "/") -> list[dict[str, str]]:
    """Parse ``df -P`` output for one mount point."""
    proc = run(["df", "-P", mount], stdout=PIPE, stderr=PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip())
    keys = ["filesystem", "blocks", "used", "available", "capacity", "mounted_on"]
    return [dict(zip(keys, line.split())) for line in proc.stdout.splitlines()[1:]]


async def restart_service(name: str) -> bool:
    """Restart a systemd unit; returns True on success."""
    status = os.system(f"systemctl restart {shlex.quote(name)}")
    if status != 0:
        log.error("restart of %s failed with status %d", name, status)
    return status == 0


async def tail_journal(unit: str, lines: int = 50) -> str:
    proc = sp.Popen(
        ["journalctl", "-u", unit, "-n", str(lines), "--no-pager"],
        stdout=sp.PIPE,
        stderr=sp.PIPE,
        text=True,
    )
    out, err = proc.communicate(timeout=10)
    if proc.returncode != 0:
        raise RuntimeError(err.strip() or f"journalctl exited {proc.returncode}")
    return out


def build_info() -> str:
    """Git revision of the deployed checkout.

    Called once from the synchronous ``main()`` before the event loop
    starts, so blocking here is fine.
    """
    try:
        return sp.check_output(
            ["git", "rev-parse", "--short", "HEAD"], text=True, stderr=sp.DEVNULL
        ).strip()
    except (OSError, sp.CalledProcessError):
        return "unknown"
