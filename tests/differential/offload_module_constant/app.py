from helpers import run


async def handle(n):
    return run(f"sleep 0.3; echo job {n}", device="emulator")


async def failing():
    return run("echo broken >&2; exit 3")
