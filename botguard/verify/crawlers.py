"""The crawlers botguard can verify: who claims to be whom, and where each operator says how to check."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from .._errors import ConfigError
from .address import parse_networks
from .dns import clean_name

__all__ = ["CRAWLERS", "Crawler", "normalize_crawlers"]


@dataclass(frozen=True, slots=True)
class Crawler:
    """A well-known crawler: the User-Agents that claim to be it, and what proves the claim.

        Crawler("mybot", user_agents=(r"(?i)\\bmybot\\b",), domains=("crawl.example.com",))

    Arguments:
        name: the name `Config.verify` lists.
        user_agents: regexes; a User-Agent in which any of them is found claims to be this crawler.
        domains: DNS suffixes its reverse names end in, matched label by label: "googlebot.com"
            admits "crawl-66-249-66-1.googlebot.com", never "evilgooglebot.com".
        ranges: published networks ("66.249.64.0/27", "2001:4860:4801:10::/64") that prove a claim
            without DNS. A crawler with no `domains` is proven by its ranges only.
        category: its bot category ("search", "ai", "preview", ...).
        docs: where its operator documents how to verify it.
    """

    name: str
    user_agents: tuple[str, ...]
    domains: tuple[str, ...] = ()
    ranges: tuple[str, ...] = ()
    category: str | None = None
    docs: str = ""


def _crawler(name: str, pattern: str, domains: tuple[str, ...], category: str, docs: str) -> Crawler:
    return Crawler(name=name, user_agents=(pattern,), domains=domains, category=category, docs=docs)


# The operators' own documentation is the source of each row (see `docs`). Patterns are
# case-insensitive on purpose: "googlebot" in lower case is the same claim, and an allow list
# written with (?i) must not admit it unverified. No address ranges are built in: they change,
# and stale ones would refuse real crawlers; give current ones with `Config.crawler_ranges`.
CRAWLERS: Final[Mapping[str, Crawler]] = MappingProxyType(
    {
        c.name: c
        for c in (
            # Common and special-case crawlers: crawl-*.googlebot.com, geo-crawl-*.geo.googlebot.com,
            # rate-limited-proxy-*.google.com.
            _crawler(
                "google",
                r"(?i)googlebot|google-inspectiontool|googleother|storebot-google|google-cloudvertexbot"
                r"|adsbot-google|mediapartners-google|apis-google|google-safety",
                ("googlebot.com", "google.com"),
                "search",
                "https://developers.google.com/search/docs/crawling-indexing/verifying-googlebot",
            ),
            # User-triggered fetchers: google-proxy-*.google.com, or *.gae.googleusercontent.com when
            # a Google Cloud user's app triggers the fetch, so this proves "fetched through Google",
            # not "Google itself". Kept apart from "google" so Googlebot claims never accept that zone.
            _crawler(
                "google-fetcher",
                r"(?i)feedfetcher-google|google-read-aloud|google-site-verification|googleproducer"
                r"|google-cws|google-notebooklm|google-pinpoint",
                ("google.com", "gae.googleusercontent.com"),
                "other",
                "https://developers.google.com/crawling/docs/crawlers-fetchers/google-user-triggered-fetchers",
            ),
            _crawler(
                "bing",
                r"(?i)bingbot|bingpreview|msnbot|adidxbot|microsoftpreview",
                ("search.msn.com",),
                "search",
                "https://www.bing.com/webmasters/help/how-to-verify-bingbot-3905dc26",
            ),
            _crawler(
                "yandex",
                r"(?i)yandex\w*bot|yandex(?:images|video|media|blogs|favicons|webmaster|pagechecker"
                r"|imageresizer|direct\w*|metrika|news|catalog|market|calendar|sitelinks|turbo|fordomain"
                r"|vertis|searchshop|ontodb\w*|verticals)\b|yadirectfetcher|yandex\.com/bots",
                ("yandex.ru", "yandex.net", "yandex.com"),
                "search",
                "https://yandex.com/support/webmaster/robot-workings/check-yandex-robots.html",
            ),
            _crawler(
                "apple",
                r"(?i)applebot",
                ("applebot.apple.com",),
                "search",
                "https://support.apple.com/en-us/119829",
            ),
            _crawler(
                "baidu",
                r"(?i)baiduspider",
                ("baidu.com", "baidu.jp"),
                "search",
                "https://help.baidu.com/question?prod_id=99&class=476&id=2996",
            ),
            _crawler(
                "yahoo",
                r"(?i)yahoo! ?slurp",
                ("crawl.yahoo.net",),
                "search",
                "https://help.yahoo.com/kb/SLN22600.html",
            ),
            _crawler(
                "seznam",
                r"(?i)seznambot",
                ("seznam.cz",),
                "search",
                "https://napoveda.seznam.cz/en/seznambot-crawler/",
            ),
            _crawler(
                "amazon",
                r"(?i)amazonbot",
                ("crawl.amazonbot.amazon",),
                "ai",
                "https://developer.amazon.com/amazonbot",
            ),
            # These publish addresses only (no reverse names to check): give their lists in
            # `Config.crawler_ranges` ("duckduckgo": "duckduckbot.json", ...).
            _crawler(
                "duckduckgo",
                r"(?i)duckduckbot|duckassistbot",
                (),
                "search",
                "https://duckduckgo.com/duckduckgo-help-pages/results/duckduckbot",
            ),
            _crawler(
                "facebook",
                r"(?i)facebookexternalhit|facebookcatalog|meta-externalagent|meta-externalfetcher",
                (),
                "preview",
                "https://developers.facebook.com/docs/sharing/webmasters/web-crawlers/",
            ),
            _crawler(
                "openai",
                r"(?i)gptbot|chatgpt-user|oai-searchbot",
                (),
                "ai",
                "https://platform.openai.com/docs/bots",
            ),
        )
    }
)


def normalize_crawlers(value: Any) -> Mapping[str, Crawler]:
    """`Config.verified_crawlers` as given (a mapping of names to `Crawler`s or tables) → Crawlers."""
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise ConfigError(f"verified_crawlers: expected a table of crawler names, got {type(value).__name__}")
    crawlers = {}
    for name, spec in value.items():
        field = f"verified_crawlers.{name}"
        if not isinstance(name, str) or not name:
            raise ConfigError(f"verified_crawlers: a crawler name must be a non-empty string, got {name!r}")
        if isinstance(spec, Crawler):
            spec = {
                "user_agents": spec.user_agents, "domains": spec.domains, "ranges": spec.ranges,
                "category": spec.category, "docs": spec.docs,
            }
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{field}: expected a table with user_agents and domains or ranges, got {spec!r}")
        unknown = set(spec) - {"user_agents", "domains", "ranges", "category", "docs"}
        if unknown:
            raise ConfigError(f"{field}: unknown key(s) {sorted(map(str, unknown))}")
        user_agents = _strings(f"{field}.user_agents", spec.get("user_agents"))
        if not user_agents:
            raise ConfigError(f"{field}.user_agents: give at least one regex")
        domains = tuple(_domain(f"{field}.domains[{i}]", d) for i, d in enumerate(_strings(f"{field}.domains", spec.get("domains", ()))))
        ranges = _strings(f"{field}.ranges", spec.get("ranges", ()))
        parse_networks(f"{field}.ranges", ranges)
        category = spec.get("category")
        if category is not None and not isinstance(category, str):
            raise ConfigError(f"{field}.category: expected a string, got {category!r}")
        docs = spec.get("docs", "")
        if not isinstance(docs, str):
            raise ConfigError(f"{field}.docs: expected a string, got {docs!r}")
        crawlers[name] = Crawler(name, user_agents, domains, ranges, category, docs)
    return MappingProxyType(crawlers)


def _strings(field: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigError(f"{field}: expected a list of strings, got {value!r}")
    items = tuple(value)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise ConfigError(f"{field}[{index}]: expected a string, got {item!r}")
    return items


_DOMAIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")


def _domain(field: str, value: str) -> str:
    domain = clean_name(value).lstrip(".")
    if not domain or not set(domain) <= _DOMAIN_CHARS or "" in domain.split(".") or len(domain) > 253:
        raise ConfigError(f"{field}: not a DNS domain: {value!r}")
    return domain
