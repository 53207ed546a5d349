import sys
import time


def fetch(key):
    time.sleep(0.01)
    if key == "boom":
        raise ValueError(key)
    return key.upper()


def main(argv):
    for key in argv:
        print(fetch(key))
    return len(argv)


async def handler(key):
    return fetch(key)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
