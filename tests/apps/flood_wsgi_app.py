"""A WSGI app that verifies Google claims against a DNS whose reverse zone answers in 5 s for
everyone but the real crawler: what a flood of fake claims from fresh addresses looks like.

Behind a proxy on 127.0.0.1 (trusted), so a test gives each claim its own X-Forwarded-For address.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from botguard import BotGuardWSGIMiddleware

GOOGLE_IP = "66.249.66.1"
GOOGLE_NAME = "crawl-66-249-66-1.googlebot.com"
SLOW = float(os.environ.get("SLOW_ZONE_SECONDS", "5"))


class SlowZone:
    def reverse(self, ip: str) -> list[str]:
        if ip == GOOGLE_IP:
            return [GOOGLE_NAME]
        time.sleep(SLOW)
        return []

    def forward(self, name: str) -> list[str]:
        return [GOOGLE_IP] if name == GOOGLE_NAME else []


def home(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


fields: dict[str, Any] = {}
if "VERIFY_MAX_WAITING" in os.environ:  # unset: the default
    fields["verify_max_waiting"] = int(os.environ["VERIFY_MAX_WAITING"])
app = BotGuardWSGIMiddleware(
    home,
    verify=("google",),
    resolver=SlowZone(),
    verify_timeout=float(os.environ.get("VERIFY_TIMEOUT", "5")),
    trusted_proxies=["127.0.0.1/32"],
    verdict_header="x-botguard",
    **fields,
)
