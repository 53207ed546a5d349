import time


class Jobs:
    def job_clean(self, arg):
        time.sleep(0.01)
        return "cleaned " + arg

    async def on_clean(self, arg):
        return self.job_clean(arg)
