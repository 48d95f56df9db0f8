"""The verdicts a decision can reach, numbered as Kong's bot-detection numbers its matches."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["Verdict"]


class Verdict(IntEnum):
    """What the rules made of a User-Agent.

    `Verdict.NONE` is falsy (it is 0): test a cached verdict with `is None`, never by truth.
    """

    NONE = 0
    ALLOW = 1
    DENY = 2
    BOT = 3

    @property
    def blocked(self) -> bool:
        """True when the request is to be refused (DENY or BOT)."""
        return self >= Verdict.DENY
