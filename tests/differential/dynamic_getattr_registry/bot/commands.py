import time


def cmd_status(arg):
    time.sleep(0.01)
    return "status " + arg


def run_command(name, arg):
    return globals()["cmd_" + name](arg)


async def on_status(arg):
    return cmd_status(arg)
