"""A DNS for tests: Googlebot's and Bingbot's records from tables, calls counted, told to hang or fail."""

from __future__ import annotations

import threading

GOOGLE_IP = "66.249.66.1"
GOOGLE_NAME = "crawl-66-249-66-1.googlebot.com"
BING_IP = "157.55.33.18"
BING_NAME = "msnbot-157-55-33-18.search.msn.com"


class StubResolver:
    """A DNS that answers from two tables, counts its calls, and can be told to hang or fail."""

    def __init__(
        self,
        ptr: dict[str, list[str]] | None = None,
        a: dict[str, list[str]] | None = None,
        fail: BaseException | None = None,
    ) -> None:
        self.ptr = {GOOGLE_IP: [GOOGLE_NAME + "."], BING_IP: [BING_NAME]} if ptr is None else ptr
        self.a = {GOOGLE_NAME: [GOOGLE_IP, "2001:4860:4801:10::1"], BING_NAME: [BING_IP]} if a is None else a
        self.fail = fail
        self.reverse_calls: list[str] = []
        self.forward_calls: list[str] = []
        self.gate: threading.Event | None = None
        self._lock = threading.Lock()

    def hang(self) -> threading.Event:
        self.gate = threading.Event()
        return self.gate

    def reverse(self, ip: str) -> list[str]:
        with self._lock:
            self.reverse_calls.append(ip)
        if self.gate is not None:
            self.gate.wait(10)
        if self.fail is not None:
            raise self.fail
        return self.ptr.get(ip, [])

    def forward(self, name: str) -> list[str]:
        with self._lock:
            self.forward_calls.append(name)
        return self.a.get(name, [])


class NoDNS:
    """A resolver that must never be asked."""

    def reverse(self, ip: str) -> list[str]:
        raise AssertionError(f"reverse lookup of {ip}")

    def forward(self, name: str) -> list[str]:
        raise AssertionError(f"forward lookup of {name}")
