import asyncio

import source


async def main():
    out = []
    for cls in (source.Source, source.Constant, source.Mixed, source.Patched):
        try:
            out.append(await cls().get())
        except Exception as exc:
            out.append(type(exc).__name__)
    return out


print(asyncio.run(main()))
