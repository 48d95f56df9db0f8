"""The verdicts a decision can reach, numbered as Kong's bot-detection numbers its matches."""

from __future__ import annotations

from enum import IntEnum
from typing import Final

__all__ = ["Verdict"]


class Verdict(IntEnum):
    """What the rules made of a User-Agent.

    `Verdict.NONE` is falsy (it is 0): test a cached verdict with `is None`, never by truth.
    """

    NONE = 0
    ALLOW = 1
    DENY = 2
    BOT = 3
    # Not one of Kong's: a User-Agent that claims to be a crawler listed in `Config.verify`
    # from an address that DNS (or the published ranges) does not prove to be that crawler's.
    SPOOFED = 4
    # Not one of Kong's: a User-Agent that claims a mainstream browser on a request whose other
    # headers that browser always sends are missing or contradict it (`Config.check_headers`).
    FORGED = 5

    @property
    def blocked(self) -> bool:
        """True when the request is to be refused (DENY, BOT, SPOOFED or FORGED)."""
        return self in BLOCKED


# The verdicts that refuse a request, named one by one: a verdict added later passes unless it is
# listed here, whatever its number.
BLOCKED: Final = frozenset({Verdict.DENY, Verdict.BOT, Verdict.SPOOFED, Verdict.FORGED})
