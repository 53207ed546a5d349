import os


async def listing():
    with os.popen("echo one; echo two") as f:
        both = f.read()
    p = os.popen("echo three")
    three = p.read()
    p.close()
    return both, three
