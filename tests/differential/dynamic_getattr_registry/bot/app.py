from bot import handlers, hooks
from bot.tools import registry
from bot.tools.web import search


async def on_message(text):
    return search(text)


async def on_ping(payload):
    return handlers.handle_ping(payload)


def run_tool(name, arg):
    return registry([name])[name](arg)


def dispatch(action, payload):
    return getattr(handlers, "handle_" + action)(payload)


def run_hook(name, arg):
    return vars(hooks).get("hook_" + name)(arg)


async def on_start(arg):
    return hooks.hook_start(arg)
