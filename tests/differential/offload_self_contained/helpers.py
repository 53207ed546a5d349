import subprocess


def run(script, device=None):
    cmd = ["sh", "-c"]
    if device:
        script = f"echo device {device}; {script}"
    cmd += [script]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip() or f"{script} failed")
    return result.stdout.strip()


def cli():
    return run("echo cli")
