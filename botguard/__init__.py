"""botguard: keep unwanted bots out of ASGI, WSGI and Django apps.

    from botguard import BotGuardMiddleware
    app.add_middleware(BotGuardMiddleware)
"""

from __future__ import annotations

from ._asgi import BotGuardMiddleware
from ._cache import CacheInfo, cache_info, classify, explain
from ._config import Config, Explanation
from ._errors import ConfigError
from ._loader import ConfigLoader
from ._rulesets import Rule
from ._verdict import Verdict

__all__ = [
    "BotGuardMiddleware",
    "CacheInfo",
    "Config",
    "ConfigError",
    "ConfigLoader",
    "Explanation",
    "Rule",
    "Verdict",
    "cache_info",
    "classify",
    "explain",
]
__version__ = "0.1.0"
