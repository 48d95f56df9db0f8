"""What botguard did, in numbers and in log lines: request counters, reload counters, block logging.

The request counters are plain integers kept next to the verdict caches (`_cache`) and bumped
in the same locked section as the cache lookup; nothing else runs on the request path. The
reload counters live here. `stats()` copies them all into a dict; `botguard.prometheus` (once
its `register()` is called) reads that at scrape time, or copies it into prometheus_client's
multiprocess files once a second.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Final

from . import _cache
from ._config import Explanation
from ._rulesets import Rule
from ._verdict import Verdict

__all__ = [
    "ACTIONS",
    "log_block",
    "possible_actions",
    "record_reload",
    "at_shutdown",
    "safe_text",
    "shortened",
    "set_multiprocess_dir",
    "shutting_down",
    "stats",
    "verdict_label",
]

logger = logging.getLogger("botguard")

# What botguard does with a request: calls the app, answers in its place, or (monitor mode)
# calls the app although the verdict would have blocked it.
ACTIONS: Final = ("passed", "blocked", "monitored")
# The verdict label of a request refused for carrying several User-Agent headers.
REJECTED: Final = "rejected"

_lock: Final = threading.Lock()
# result -> count, for every reload outcome the config loader reports; the usual three are
# there from the start so that a dashboard has a zero to compare with.
_reloads: Final[dict[str, int]] = {"changed": 0, "unchanged": 0, "failed": 0}

# Where `botguard.prometheus` copies the counters for prometheus_client's multiprocess mode.
_multiprocess_dir: list[str | None] = [None]

# How much of a User-Agent (or path), and of the rule's pattern, a log line carries.
LOG_CHARS: Final = 200
PATTERN_CHARS: Final = 80


def verdict_label(verdict: Verdict | None) -> str:
    """The metric and log label of a verdict: "none", "allow", "deny", "bot", or "rejected"."""
    return REJECTED if verdict is None else verdict.name.lower()


def possible_actions(label: str) -> tuple[str, ...]:
    """The actions a verdict can get: "passed" below DENY (none, allow), else "blocked" or "monitored"."""
    verdict = Verdict.__members__.get(label.upper())
    if verdict is not None and not verdict.blocked:
        return ACTIONS[:1]
    return ACTIONS[1:]


def record_reload(result: str, message: str = "") -> None:
    """Count one config reload outcome and log it; the config loader calls this.

        record_reload("changed", "botguard.toml: 3 deny rules")
        record_reload("failed", "botguard.toml: deny[2]: not a valid regex ...")

    Arguments:
        result: "changed" (a new config is in force; INFO), "unchanged" (DEBUG), or "failed"
            (the last good config stays; WARNING); any other word is counted under its own label
            and logged at INFO.
        message: what to say in the log line.
    """
    with _lock:
        _reloads[result] = _reloads.get(result, 0) + 1
    if result == "failed":
        logger.warning("config reload failed, keeping the last good config: %s", message)
    elif result == "unchanged":
        logger.debug("config unchanged: %s", message)
    else:
        logger.info("config reloaded: %s", message)


_at_shutdown: list[Callable[[], object]] = []


def at_shutdown(hook: Callable[[], object]) -> None:
    """Call `hook` when a server announces that this process stops (the ASGI lifespan shutdown)."""
    _at_shutdown.append(hook)


def shutting_down() -> None:
    """The server is stopping this process: run the hooks (they must be quick and must not fail)."""
    for hook in list(_at_shutdown):
        try:
            hook()
        except Exception:
            logger.exception("a shutdown hook failed")


def set_multiprocess_dir(path: str | None) -> None:
    """Record where the counters are copied for prometheus_client's multiprocess mode (`stats()` says it)."""
    _multiprocess_dir[0] = path


def stats() -> dict[str, Any]:
    """Every botguard counter of this process as a plain dict (the numbers Prometheus gets).

        botguard.stats()["requests"]["bot"]["blocked"]   # bots answered 403 so far, by this process

    The counts are this process's alone (`per_process` is True): with several workers each has
    its own, and `pid` says whose these are. `multiprocess_dir` is the directory where
    `botguard.prometheus.register()` copies them for prometheus_client's multiprocess mode,
    whose `MultiProcessCollector` sums the workers (None when it does not).

    Keys: `per_process`, `pid`, `multiprocess_dir`, `requests` (verdict -> action -> count; verdicts none, allow, deny, bot, ..., rejected;
    actions passed, blocked, monitored), `cache_hits`, `cache_misses`, `config_reloads`
    (result -> count), `decision_seconds` (the miss-path decision time histogram: `buckets`
    upper bound -> cumulative count, `count`, `sum` in seconds).
    """
    # Built from the enum, so a verdict added later is counted without an edit here.
    requests = {}
    for verdict, (enforced, monitored) in _cache.REQUESTS.snapshot().items():
        if verdict is not None and not verdict.blocked:
            requests[verdict_label(verdict)] = {"passed": enforced + monitored, "blocked": 0, "monitored": 0}
        else:
            requests[verdict_label(verdict)] = {"passed": 0, "blocked": enforced, "monitored": monitored}
    with _lock:
        reloads = dict(_reloads)
    timing = _cache.decision_timing()
    cumulative = 0
    buckets: dict[float, int] = {}
    for bound, count in zip(timing.bounds, timing.counts):
        cumulative += count
        buckets[bound] = cumulative
    return {
        "per_process": True,
        "pid": os.getpid(),
        "multiprocess_dir": _multiprocess_dir[0],
        "requests": requests,
        "cache_hits": timing.hits,
        "cache_misses": timing.misses,
        "config_reloads": reloads,
        "decision_seconds": {"buckets": buckets, "count": cumulative, "sum": timing.total},
    }


def shortened(explanation: Explanation, width: int) -> str:
    """`str(explanation)` with each pattern it names cut to `width` characters and "..." (Kong's
    run to 3,000 characters): for a terminal line or a failure message."""

    def cut(rule: Rule) -> Rule:
        return replace(rule, pattern=rule.pattern[:width] + "...") if len(rule.pattern) > width else rule

    if explanation.rule is not None:
        explanation = replace(explanation, rule=cut(explanation.rule))
    elif explanation.outweighed is not None:
        weighed, why = explanation.outweighed
        explanation = replace(explanation, outweighed=(cut(weighed), why))
    return str(explanation)


def safe_text(value: str | bytes | None, limit: int = LOG_CHARS) -> str:
    """`value` fit for one log line: non-printable characters escaped, at most `limit` characters kept.

    A User-Agent or path is attacker-controlled: a raw CR/LF would forge a log line, and ANSI or
    bidi control characters would mislead whoever reads the log. A cut value ends with "...".
    """
    if value is None:
        return "-"
    cut = False
    if isinstance(value, bytes):
        # Read as the rules read it: UTF-8, or latin-1 when it is not valid UTF-8.
        cut = len(value) > 4 * limit
        head = value[: 4 * limit]
        try:
            value = head.decode("utf-8")
        except UnicodeDecodeError:
            value = head.decode("latin-1")
    cut = cut or len(value) > limit
    value = value[:limit]
    if not value.isprintable() or "\\" in value or '"' in value:
        value = "".join(_escape(c) for c in value)
    return value + "..." if cut else value


_NAMED_ESCAPES: Final = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    named = _NAMED_ESCAPES.get(char)
    if named is not None:
        return named
    if char.isprintable():
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def log_block(
    what: str,
    verdict: Verdict | None,
    explanation: Explanation | None,
    path: str | None,
    user_agent: str | bytes | None,
    level: int = logging.INFO,
) -> None:
    """Write the one log line of a refused request (or, in monitor mode, of one that would be).

        log_block("blocked", Verdict.DENY, explanation, "/login", b"Scrapy/2.11")
        # blocked verdict=deny rule=deny[0] category=- path="/login" user_agent="Scrapy/2.11" pattern="(?i)scrapy"

    Arguments:
        what: what happened: "blocked", "would block", "rejected", "would reject", ...
        verdict: the verdict (None for a rejected duplicate header).
        explanation: the cached explanation of the verdict (None when there is none).
        path, user_agent: as the request carried them; escaped and cut to `LOG_CHARS`.
        level: the log level (INFO).

    The same fields ride on the record as `record.botguard` (a dict), for structured handlers.
    """
    if not logger.isEnabledFor(level):
        return
    rule = None if explanation is None else explanation.rule
    if rule is None:
        rule_id = None
    elif explanation is not None and explanation.rule_list == "policy":
        rule_id = rule.source
    else:
        rule_id = f"{explanation.rule_list if explanation is not None else rule.source}[{rule.index}]"
    fields = {
        "action": what,
        "verdict": verdict_label(verdict),
        "rule": rule_id,
        "category": None if rule is None else rule.category,
        "path": safe_text(path),
        "user_agent": safe_text(user_agent),
        # Last on the line: a built-in rule can be a long alternation.
        "pattern": None if rule is None else safe_text(rule.pattern, PATTERN_CHARS),
    }
    reason = None if explanation is None else explanation.reason
    if reason is not None:
        # FORGED: no rule decided (the line keeps the same fields, empty), and says which header
        # contradicted the User-Agent.
        fields["reason"] = safe_text(reason)
        logger.log(
            level,
            '%s verdict=%s rule=- category=- path="%s" user_agent="%s" reason="%s"',
            what,
            fields["verdict"],
            fields["path"],
            fields["user_agent"],
            fields["reason"],
            extra={"botguard": fields},
        )
        return
    logger.log(
        level,
        '%s verdict=%s rule=%s category=%s path="%s" user_agent="%s" pattern="%s"',
        what,
        fields["verdict"],
        fields["rule"] or "-",
        fields["category"] or "-",
        fields["path"],
        fields["user_agent"],
        fields["pattern"] or "-",
        extra={"botguard": fields},
    )
