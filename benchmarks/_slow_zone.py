"""A DNS for the verification benchmarks: Google's addresses (66.249.0.0/16) answer at once,
every other reverse lookup takes `seconds` (a slow or hostile reverse zone)."""

from __future__ import annotations

import time


class SlowZone:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def reverse(self, ip: str) -> list[str]:
        if ip.startswith("66.249."):
            return [f"crawl-{ip.replace('.', '-')}.googlebot.com"]
        time.sleep(self.seconds)
        return []

    def forward(self, name: str) -> list[str]:
        return [name.removeprefix("crawl-").removesuffix(".googlebot.com").replace("-", ".")]
