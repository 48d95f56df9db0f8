"""The one exception botguard raises for configuration it cannot accept."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["ConfigError", "unknown_names"]


class ConfigError(ValueError):
    """A configuration botguard cannot use; the message names the field and the bad value."""


def unknown_names(what: str, unknown: Iterable[str], valid: Iterable[str]) -> ConfigError:
    """The error for names that are not `what` (a "key", a "field"): each with the closest valid one, then all of them.

        unknown_names("field", ["denny"], ["allow", "deny"])
        # unknown field(s) ['denny'] (did you mean 'deny'?); valid fields: ['allow', 'deny']
    """
    names = sorted(map(str, unknown))
    choices = sorted(valid)
    guesses = [f"{name!r} -> {close[0]!r}" for name in names if (close := difflib.get_close_matches(name, choices, n=1))]
    if len(guesses) == 1 and len(names) == 1:
        hint = f" (did you mean {guesses[0].split(' -> ')[1]}?)"
    elif guesses:
        hint = f" (closest: {', '.join(guesses)})"
    else:
        hint = ""
    return ConfigError(f"unknown {what}(s) {names}{hint}; valid {what}s: {choices}")
