"""botguard: keep unwanted bots out of ASGI, WSGI and Django apps.

    from botguard import BotGuardMiddleware
    app.add_middleware(BotGuardMiddleware)
"""

from __future__ import annotations

import importlib.util as _importlib_util

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

# Metrics cost nothing without prometheus_client: the collector module is imported only when
# it is installed, and it reads the counters only when scraped.
if _importlib_util.find_spec("prometheus_client") is not None:
    from . import prometheus as _prometheus  # noqa: F401  (registers the collector)
