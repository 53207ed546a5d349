import subprocess


async def hostname():
    return subprocess.run(["echo", "box"], capture_output=True, encoding="").stdout
