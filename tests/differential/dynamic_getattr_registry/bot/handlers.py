import time


def handle_ping(payload):
    time.sleep(0.01)
    return "pong " + payload
