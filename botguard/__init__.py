"""botguard: keep unwanted bots out of ASGI, WSGI and Django apps.

    from botguard import BotGuardMiddleware
    app.add_middleware(BotGuardMiddleware)
"""

from __future__ import annotations

import importlib as _importlib
from typing import Any as _Any

from ._asgi import BotGuardMiddleware
from ._cache import CacheInfo, cache_info, classify, explain
from ._config import Config, Explanation
from ._errors import ConfigError
from ._observe import stats
from ._loader import ConfigLoader
from ._rulesets import Rule
from ._verdict import Verdict
from .verify import CRAWLERS, Crawler, Resolver
from ._wsgi import BotGuardWSGIMiddleware

__all__ = [
    "BotGuardMiddleware",
    "BotGuardWSGIMiddleware",
    "CRAWLERS",
    "CacheInfo",
    "Config",
    "ConfigError",
    "Crawler",
    "ConfigLoader",
    "Explanation",
    "Resolver",
    "Rule",
    "Verdict",
    "cache_info",
    "classify",
    "explain",
    "stats",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> _Any:
    # `botguard.prometheus.register()` after a plain `import botguard`: the submodule (and
    # prometheus_client) is imported on first use, never by `import botguard` itself.
    if name == "prometheus":
        return _importlib.import_module(".prometheus", __name__)
    raise AttributeError(f"module 'botguard' has no attribute {name!r}")
