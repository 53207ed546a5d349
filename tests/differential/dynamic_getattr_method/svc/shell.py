import time


class Shell:
    """Runs `do_<command>` methods, found by name at run time (as `cmd.Cmd` does)."""

    def dispatch(self, command, arg):
        return getattr(self, "do_" + command)(arg)

    def do_ping(self, arg):
        time.sleep(0.01)
        return "pong " + arg

    async def on_ping(self, arg):
        return self.do_ping(arg)


class AdminShell(Shell):
    def do_stop(self, arg):
        time.sleep(0.01)
        return "stopped " + arg

    async def on_stop(self, arg):
        return self.do_stop(arg)
