import time


def job_sweep(arg):
    time.sleep(0.01)
    return "swept " + arg


async def on_sweep(arg):
    return job_sweep(arg)
