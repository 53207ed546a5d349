import subprocess

SHELL = ("sh", "-c")
RETRIES = 2
DEVICE_PREFIX = "device"


def run(script, device=None):
    cmd = list(SHELL)
    if device:
        script = f"echo {DEVICE_PREFIX} {device}; {script}"
    cmd += [script]
    for attempt in range(RETRIES):
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode == 0:
            return f"{result.stdout.strip()} (attempt {attempt + 1} of {RETRIES})"
    raise RuntimeError(result.stderr.strip() or f"{script} failed")


def cli():
    return run("echo cli")
