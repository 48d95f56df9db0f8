"""Configs written as the docs write them; `make test` runs mypy --strict over this file.

Lists are what users type (`deny=[r"x"]`), so the field types must accept any sequence of strings.
"""

from __future__ import annotations

from botguard import Config

DOCS_STYLE = Config(
    allow=[r"^curl/"],
    deny=[r"(?i)scrapy"],
    allow_categories=["library", "monitor"],
    verify=["google", "bing"],
    trusted_proxies=["10.0.0.0/8"],
)
TUPLES = Config(allow=(r"^curl/",), deny=(r"(?i)scrapy",), verify=("google",))
