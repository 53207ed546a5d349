import time


def search(query):
    time.sleep(0.01)
    return query.upper()
