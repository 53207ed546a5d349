import time


def load():
    # Shadowed: `import store` finds the package `store/` first.
    time.sleep(0.01)
    return "module"
