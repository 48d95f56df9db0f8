"""The WSGI app `verify_threads.py` serves with gunicorn: Google claims verified against a DNS
whose reverse zone answers in 5 s for everyone but Google (66.249.0.0/16), behind a proxy on
127.0.0.1 (trusted), so the driver gives each claim a fresh address in X-Forwarded-For.

    VERIFY_MAX_WAITING=1 gunicorn --threads 4 benchmarks.verify_threads_app:app
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from benchmarks._slow_zone import SlowZone
from botguard import BotGuardWSGIMiddleware

SLOW = float(os.environ.get("SLOW_ZONE_SECONDS", "5"))


def home(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


fields: dict[str, Any] = {}
if "VERIFY_MAX_WAITING" in os.environ:  # unset: the default (and what an older botguard knows)
    fields["verify_max_waiting"] = int(os.environ["VERIFY_MAX_WAITING"])
app = BotGuardWSGIMiddleware(home, verify=("google",), resolver=SlowZone(SLOW), trusted_proxies=["127.0.0.1/32"], **fields)
