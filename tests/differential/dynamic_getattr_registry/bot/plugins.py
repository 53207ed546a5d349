import inspect
import sys
import time

from bot import jobs


def plugin_echo(arg):
    time.sleep(0.01)
    return "echo " + arg


def run_plugin(name, arg):
    return getattr(sys.modules[__name__], "plugin_" + name)(arg)


def all_jobs():
    return dict(inspect.getmembers(jobs, inspect.isfunction))


async def on_echo(arg):
    return plugin_echo(arg)
