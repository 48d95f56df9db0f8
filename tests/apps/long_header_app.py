"""An app behind botguard that reports what its verdict cache holds, for the long-header tests.

The config comes as JSON in `BOTGUARD_TEST_CONFIG`. `/memory` answers with the bytes Python has
allocated and still holds (tracemalloc, started before anything else), the cache's entries and
the process's RSS.
"""

from __future__ import annotations

import tracemalloc

tracemalloc.start()

import json  # noqa: E402
import os  # noqa: E402
from typing import Any  # noqa: E402

from botguard import BotGuardMiddleware, Config  # noqa: E402
from botguard._cache import verdict_cache  # noqa: E402

CONFIG = Config.from_mapping(json.loads(os.environ.get("BOTGUARD_TEST_CONFIG", "{}")))


def _rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


async def _inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b"ok"
    if scope["path"] == "/memory":
        cache = verdict_cache(CONFIG)
        body = json.dumps({
            "traced": tracemalloc.get_traced_memory()[0],
            "entries": len(cache),
            "rss": _rss(),
        }).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


app = BotGuardMiddleware(_inner, config=CONFIG)
