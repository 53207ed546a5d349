import asyncio
import sys

from app.report import main, refresh

# What the installed `app-report` launcher does.
print("exit", main())
print("refresh", asyncio.run(refresh()))
