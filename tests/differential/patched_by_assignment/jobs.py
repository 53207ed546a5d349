from subprocess import run as sp_run
from time import sleep as nap


async def work():
    nap(0.01)
    return sp_run(["echo", "hi"], capture_output=True).stdout
