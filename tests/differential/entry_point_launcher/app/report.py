import time


def main():
    # The launcher `app-report` calls it; in the project only async code does.
    time.sleep(0.01)
    print("report")
    return 0


async def refresh():
    return main()
