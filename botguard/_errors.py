"""The one exception botguard raises for configuration it cannot accept."""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """A configuration botguard cannot use; the message names the field and the bad value."""
