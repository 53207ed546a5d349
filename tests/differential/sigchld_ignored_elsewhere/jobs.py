import subprocess


async def restart():
    code = subprocess.call(["true"])
    out = subprocess.check_output(["echo", "ok"], text=True)
    return code, out
