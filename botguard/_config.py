"""`Config`: one immutable, validated, compiled botguard configuration."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from ._errors import ConfigError
from ._patterns import PatternList
from ._rulesets import BUILTIN_NAMES, CATEGORIES, Rule, RuleSet, builtin_ruleset
from ._verdict import Verdict

__all__ = ["Config", "Explanation", "BlockResponse", "POLICY_RULES"]

# Kong's names for the two lists: a Kong plugin config migrates as it is.
_ALIASES = {"whitelist": "allow", "blacklist": "deny"}
_POLICIES = {
    "missing_ua": ("allow", "block"),
    "empty_ua": ("allow", "block"),
    "duplicate_ua": ("reject", "first"),
}
# The rules a policy decision reports, so `explain` can say why a request was refused.
POLICY_RULES = {
    "missing_ua": Rule(pattern="<no User-Agent header>", index=0, source="missing_ua"),
    "empty_ua": Rule(pattern="<empty User-Agent>", index=0, source="empty_ua"),
}
_DEFAULT_BODY = '{"message": "Forbidden"}'


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a User-Agent got its verdict: which list decided and which of its rules matched.

        print(explain("curl/8.4.0"))
        # BOT: builtin[12] '^curl/|^curl$|...' (botguard, library)

    `list` is "allow", "deny", "builtin", "policy" (missing or empty User-Agent), or
    "allow_categories" when a built-in rule matched but its category is admitted (verdict NONE);
    None when nothing matched.
    """

    verdict: Verdict
    list: str | None
    rule: Rule | None

    @property
    def category(self) -> str | None:
        """The category of the deciding built-in rule ("search", "ai", "library", ...), else None."""
        return None if self.rule is None else self.rule.category

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready view: verdict name, list, and the rule's pattern, index, source and category."""
        rule = self.rule
        return {
            "verdict": self.verdict.name,
            "blocked": self.verdict.blocked,
            "list": self.list,
            "pattern": None if rule is None else rule.pattern,
            "index": None if rule is None else rule.index,
            "source": None if rule is None else rule.source,
            "category": None if rule is None else rule.category,
        }

    def __str__(self) -> str:
        rule = self.rule
        if rule is None:
            return f"{self.verdict.name}: no rule matched"
        origin = rule.source if rule.category is None else f"{rule.source}, {rule.category}"
        where = "builtin" if self.list == "allow_categories" else self.list
        text = f"{self.verdict.name}: {where}[{rule.index}] {rule.pattern!r} ({origin})"
        if self.list == "allow_categories":
            text += ", admitted by allow_categories"
        return text


@dataclass(frozen=True, slots=True)
class BlockResponse:
    """A prebuilt HTTP answer: status, headers as (bytes, bytes) pairs, body."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


def _json_response(status: int, message: str) -> BlockResponse:
    body = json.dumps({"message": message}).encode()
    return BlockResponse(status, _headers(b"application/json", body, None), body)


def _headers(content_type: bytes, body: bytes, retry_after: int | None) -> tuple[tuple[bytes, bytes], ...]:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        # A CDN must never serve a bot's 403 to people.
        (b"cache-control", b"no-store"),
    ]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    return tuple(headers)


DUPLICATE_RESPONSE = _json_response(400, "Only one User-Agent header allowed")


@dataclass(frozen=True, eq=False, kw_only=True)
class Config:
    """An immutable botguard configuration, validated and compiled when it is built.

        config = Config(allow=[r"(?i)uptime-kuma"], deny=[r"(?i)scrapy"], builtin="default")

    Arguments:
        allow: regexes that admit a User-Agent before anything else is checked.
        deny: regexes that refuse a User-Agent (verdict DENY).
        builtin: the built-in bot list, "default", "kong", or None for none (verdict BOT).
        allow_categories: categories of built-in rules to admit ("search", "seo", "ai", "library",
            "monitor", "preview", "scanner", "feed", "archive", "other"): a User-Agent whose
            deciding built-in rule has one of them gets NONE instead of BOT. `allow` and `deny`
            still apply first.
        cache_size: verdicts kept per config (an LRU keyed by the raw header).
        match_timeout: seconds one `allow`/`deny` search may take before it counts as no match.
        monitor: decide and report, but never block.
        missing_ua, empty_ua: "allow" (Kong's behaviour) or "block".
        duplicate_ua: "reject" (400, Kong's behaviour) or "first" (judge the first header).
        block_status, block_body, block_content_type, retry_after: the answer to a blocked request.
        verdict_header: a response header that tells clients their verdict; None (default) sends none.
        on_block: a callable `(request, verdict) -> (status, headers, body)` for full control of the
            answer; `request` is the ASGI scope or the WSGI environ. Code only, not from files.

    Configs compare by identity (`eq=False`): each has its own verdict cache, so two equal configs
    built separately are two caches. Build a config once, or let a `ConfigLoader` keep it stable.
    """

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    builtin: str | None = "default"
    allow_categories: tuple[str, ...] = ()
    cache_size: int = 10_000
    match_timeout: float = 0.05
    monitor: bool = False
    missing_ua: str = "allow"
    empty_ua: str = "allow"
    duplicate_ua: str = "reject"
    block_status: int = 403
    block_body: str = _DEFAULT_BODY
    block_content_type: str = "application/json"
    retry_after: int | None = None
    verdict_header: str | None = None
    on_block: Callable[[Any, Verdict], tuple[int, Iterable[tuple[str, str]], bytes | str]] | None = None

    _allow: PatternList = field(init=False, repr=False)
    _deny: PatternList = field(init=False, repr=False)
    _builtin: RuleSet | None = field(init=False, repr=False)
    _allowed: frozenset[str] = field(init=False, repr=False)
    _block_response: BlockResponse = field(init=False, repr=False)
    _verdict_header: bytes | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for name in ("allow", "deny"):
            set_(self, name, _pattern_tuple(name, getattr(self, name)))
        if self.builtin is not None and self.builtin not in BUILTIN_NAMES:
            raise ConfigError(f"builtin: unknown rule set {self.builtin!r}; choose one of {list(BUILTIN_NAMES)} or None")
        set_(self, "allow_categories", _category_tuple(self.allow_categories))
        _check_int("cache_size", self.cache_size, low=1)
        if isinstance(self.match_timeout, bool) or not isinstance(self.match_timeout, (int, float)) or not (
            0 < self.match_timeout <= 10
        ):
            raise ConfigError(f"match_timeout: expected seconds in (0, 10], got {self.match_timeout!r}")
        if not isinstance(self.monitor, bool):
            raise ConfigError(f"monitor: expected true or false, got {self.monitor!r}")
        for name, choices in _POLICIES.items():
            if getattr(self, name) not in choices:
                raise ConfigError(f"{name}: expected one of {list(choices)}, got {getattr(self, name)!r}")
        _check_int("block_status", self.block_status, low=400, high=599)
        if self.retry_after is not None:
            _check_int("retry_after", self.retry_after, low=0)
        for name in ("block_body", "block_content_type"):
            if not isinstance(getattr(self, name), str):
                raise ConfigError(f"{name}: expected a string, got {getattr(self, name)!r}")
        _check_header_value("block_content_type", self.block_content_type)
        if self.verdict_header is not None:
            _check_header_name("verdict_header", self.verdict_header)
        if self.on_block is not None and not callable(self.on_block):
            raise ConfigError(f"on_block: expected a callable, got {self.on_block!r}")

        set_(self, "_allow", PatternList("allow", self.allow, self.match_timeout))
        set_(self, "_deny", PatternList("deny", self.deny, self.match_timeout))
        set_(self, "_builtin", None if self.builtin is None else builtin_ruleset(self.builtin))
        set_(self, "_allowed", frozenset(self.allow_categories))
        body = self.block_body.encode()
        set_(
            self,
            "_block_response",
            BlockResponse(self.block_status, _headers(self.block_content_type.encode("latin-1"), body, self.retry_after), body),
        )
        set_(self, "_verdict_header", None if self.verdict_header is None else self.verdict_header.lower().encode())

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Config:
        """Build a config from a dict such as a parsed TOML or JSON file.

            Config.from_mapping({"deny": ["(?i)scrapy"], "builtin": "kong"})

        Keys are the field names; Kong's `whitelist`/`blacklist` are accepted for `allow`/`deny`.
        Unknown keys, and `on_block` (code only), are a `ConfigError` naming them.
        """
        if not isinstance(mapping, Mapping):
            raise ConfigError(f"config: expected a table of settings, got {type(mapping).__name__}")
        known = {f.name for f in fields(cls) if f.init and f.name != "on_block"}
        kwargs: dict[str, Any] = {}
        unknown = []
        for key, value in mapping.items():
            name = _ALIASES.get(key, key)
            if name not in known:
                unknown.append(key)
            elif name in kwargs:
                raise ConfigError(f"{key}: given twice (as {name!r} and its Kong alias)")
            else:
                kwargs[name] = value
        if unknown:
            raise ConfigError(f"unknown key(s) {sorted(map(str, unknown))}; known keys: {sorted(known | set(_ALIASES))}")
        return cls(**kwargs)

    def explain_text(self, text: str | None) -> Explanation:
        """Decide a normalized User-Agent (None when the header is missing), uncached."""
        if text is None:
            if self.missing_ua == "block":
                return Explanation(Verdict.DENY, "policy", POLICY_RULES["missing_ua"])
            return Explanation(Verdict.NONE, None, None)
        if self._allow and (rule := self._allow.search(text)) is not None:
            return Explanation(Verdict.ALLOW, "allow", rule)
        if not text and self.empty_ua == "block":
            return Explanation(Verdict.DENY, "policy", POLICY_RULES["empty_ua"])
        if self._deny and (rule := self._deny.search(text)) is not None:
            return Explanation(Verdict.DENY, "deny", rule)
        if self._builtin is not None and (rule := self._builtin.search(text)) is not None:
            if rule.category in self._allowed:
                # NONE, not ALLOW: an admitted category takes rules out of the built-in list; it is
                # not an allow rule, so `deny` has already had its say.
                return Explanation(Verdict.NONE, "allow_categories", rule)
            return Explanation(Verdict.BOT, "builtin", rule)
        return Explanation(Verdict.NONE, None, None)


def _pattern_tuple(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigError(f"{name}: expected a list of regex strings, got {type(value).__name__}: {value!r}")
    return tuple(value)


def _category_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigError(f"allow_categories: expected a list of category names, got {type(value).__name__}: {value!r}")
    names = tuple(value)
    for name in names:
        if name not in CATEGORIES:
            raise ConfigError(f"allow_categories: unknown category {name!r}; choose from {list(CATEGORIES)}")
    return names


def _check_int(name: str, value: Any, *, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ConfigError(f"{name}: expected a whole number {bound}, got {value!r}")


_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _check_header_name(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value or not set(value) <= _TOKEN:
        raise ConfigError(f"{name}: not a valid HTTP header name: {value!r}")


def _check_header_value(name: str, value: str) -> None:
    if any(c in value for c in "\r\n\0") or not value.isascii():
        raise ConfigError(f"{name}: not a valid HTTP header value: {value!r}")
