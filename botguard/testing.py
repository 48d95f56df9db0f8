"""botguard in your own test suite: force or switch off the rules, sample User-Agents, assert verdicts.

    from botguard.testing import assert_allowed, assert_blocked, disabled, override, sample_user_agents

    with disabled():                         # every botguard middleware lets everything through
        client.get("/")
    with override(Config(deny=[r"GPTBot"])):  # every botguard middleware enforces this config
        assert client.get("/", headers={"user-agent": "GPTBot/1.0"}).status_code == 403
    for ua in sample_user_agents("bot", category="ai"):
        assert_blocked(MY_CONFIG, ua)

Plain functions and context managers: they work under pytest, unittest and Django's test runner.
The pytest plugin (`--botguard-disable`, the `botguard` marker, the `botguard_config` fixture)
is built on them.
"""

from __future__ import annotations

import functools
import inspect
import random
import unittest
from collections.abc import Callable, Iterable
from importlib import resources
from types import TracebackType
from typing import Any, Final, TypeVar, cast

import regex

from . import _override
from ._call_app import call_app
from ._cache import explain, verdict_cache
from ._config import Config, Explanation
from ._observe import shortened
from ._patterns import normalize_user_agent
from ._rulesets import CATEGORIES
from ._verdict import Verdict

__all__ = [
    "BOT_CATEGORIES",
    "Override",
    "assert_allowed",
    "assert_blocked",
    "disabled",
    "enabled",
    "override",
    "sample_user_agents",
]

F = TypeVar("F", bound=Callable[..., Any])

#: The categories of `sample_user_agents("bot", category=...)`, shared with the built-in rules.
BOT_CATEGORIES: Final = CATEGORIES
_KINDS: Final = ("browser", "bot")
# Built-in patterns run to kilobytes; a failure message shows their start and what they matched.
_PATTERN_SHOWN: Final = 80


class Override:
    """A context manager and decorator that sets what every botguard middleware enforces.

        with override(Config(deny=[r"(?i)gptbot"])) as config: ...
        @disabled()
        def test_home(client): ...

    Made by `override`, `disabled` and `enabled`. Entering returns the config in force (None for
    `enabled`); leaving, on success or on an exception, restores what was in force before.
    One object can be entered many times, nested, and from several threads or tasks at once.
    Used as a decorator on a function (sync or async) it is entered for each call; on a
    `unittest.TestCase` class, around each test (from `setUp` to the last cleanup); on another
    class, around each `test*` method.
    """

    __slots__ = ("config", "process_wide", "_forced", "_entries")

    def __init__(self, config: Config | None, *, process_wide: bool) -> None:
        self.config = config
        self.process_wide = process_wide
        self._forced = None if config is None else (config, verdict_cache(config))
        # Entered and not yet left, for leaving from another context than the one entered in.
        self._entries: list[_override.Entry] = []

    def __repr__(self) -> str:
        return f"<botguard.testing.Override config={self.config!r} process_wide={self.process_wide}>"

    def __enter__(self) -> Config | None:
        self._entries.append(_override.enter(self._forced, process_wide=self.process_wide, owner=self))
        return self.config

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        entry = _override.current_entry(self)
        if entry is None:
            alive = [e for e in self._entries if e.alive]
            if not alive:
                raise RuntimeError("botguard.testing: leaving an override that was not entered")
            entry = alive[-1]
        _override.leave(entry)
        self._entries = [e for e in self._entries if e.alive]

    async def __aenter__(self) -> Config | None:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __call__(self, target: F) -> F:
        if isinstance(target, type):
            return cast(F, self._decorate_class(target))
        if inspect.isgeneratorfunction(target) or inspect.isasyncgenfunction(target):
            raise TypeError(f"botguard.testing: cannot decorate the generator function {target.__qualname__}; use `with`")
        if inspect.iscoroutinefunction(target):

            @functools.wraps(target)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await target(*args, **kwargs)

            return cast(F, run_async)

        @functools.wraps(target)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return target(*args, **kwargs)

        return cast(F, run)

    def _decorate_class(self, cls: type) -> type:
        if issubclass(cls, unittest.TestCase):
            set_up = cls.setUp
            override = self

            # setUp runs in the context each test runs in (IsolatedAsyncioTestCase keeps its own
            # context per test), and the cleanup runs after tearDown, even when the test fails.
            @functools.wraps(set_up)
            def setUp(test: unittest.TestCase) -> None:
                override.__enter__()
                test.addCleanup(override.__exit__, None, None, None)
                set_up(test)

            cls.setUp = setUp  # type: ignore[method-assign,assignment]
            return cls
        for name, value in list(vars(cls).items()):
            if name.startswith("test") and inspect.isfunction(value):
                setattr(cls, name, self(value))
        return cls


def override(config: Config, *, process_wide: bool = False) -> Override:
    """Make every botguard middleware enforce `config` instead of its own, for a while.

        with override(Config(deny=[r"(?i)gptbot"], builtin=None)):
            assert client.get("/", headers={"user-agent": "GPTBot/1.0"}).status_code == 403

    Arguments:
        config: the `Config` every middleware enforces: its lists, policies and block answer.
        process_wide: also reach servers running in other threads (uvicorn in a thread,
            Django's live server). Without it the override reaches this thread or task and what
            runs in a copy of its context: tasks it starts, `httpx.ASGITransport`, Starlette's
            `TestClient`, Django's test client, `asyncio.to_thread`; other tests running at the
            same time in other threads or tasks do not see it.

    The innermost override wins; leaving one restores the previous state. An override entered
    in this context beats a process-wide one entered elsewhere.
    """
    if not isinstance(config, Config):
        raise TypeError(f"override: expected a botguard Config, got {type(config).__name__}")
    return Override(config, process_wide=process_wide)


def disabled(*, process_wide: bool = False) -> Override:
    """Make every botguard middleware let every request through, for a while.

        with disabled():
            assert client.get("/").status_code == 200   # whatever User-Agent the client sends

    Requests pass with verdict NONE (`request.state.botguard`), duplicate User-Agent headers
    included. `process_wide` as for `override`.
    """
    return Override(_disabled_config(), process_wide=process_wide)


def enabled(*, process_wide: bool = False) -> Override:
    """Make every botguard middleware enforce its own config again, inside `disabled()` or `override()`.

        with enabled():   # e.g. in a test under `pytest --botguard-disable`
            assert client.get("/", headers={"user-agent": "GPTBot/1.0"}).status_code == 403

    `process_wide` as for `override`.
    """
    return Override(None, process_wide=process_wide)


@functools.cache
def _disabled_config() -> Config:
    return Config(builtin=None, duplicate_ua="first", cache_size=64)


# --- sample User-Agents ----------------------------------------------------------------------


@functools.cache
def _samples() -> dict[tuple[str, str | None], tuple[str, ...]]:
    pools: dict[tuple[str, str | None], list[str]] = {}
    text = (resources.files("botguard") / "data" / "sample_user_agents.tsv").read_text(encoding="utf-8")
    for line in text.splitlines()[1:]:
        kind, category, _source, user_agent = line.split("\t", 3)
        pools.setdefault((kind, None), []).append(user_agent)
        if category:
            pools.setdefault((kind, category), []).append(user_agent)
    return {key: tuple(values) for key, values in pools.items()}


def sample_user_agents(
    kind: str = "browser", category: str | None = None, n: int | None = None, *, seed: int = 0
) -> list[str]:
    """Real User-Agent strings from botguard's shipped, labelled sample, the same on every run.

        for ua in sample_user_agents("bot", category="ai"):
            assert classify(ua, MY_CONFIG).blocked
        for ua in sample_user_agents("browser", n=50):
            assert_allowed(app, ua)

    Arguments:
        kind: "browser" (real browsers and in-app webviews) or "bot".
        category: with kind "bot", one of `BOT_CATEGORIES` ("search", "seo", "ai", "library",
            "monitor", "preview", "scanner", "feed", "archive", "other"); None for all bots.
        n: how many; None for every string of the kind and category (in the file's order).
            With fewer available, all of them. A bot sample without a category takes the
            categories in turn, so a small one still shows each kind of bot.
        seed: another seed gives another sample; the same seed always gives the same one.

    The data comes from isbot's fixtures (Unlicense) and crawler-user-agents (MIT); see
    `botguard/data/sample_user_agents.md`. Raises ValueError for an unknown kind or category.
    """
    if kind not in _KINDS:
        raise ValueError(f"sample_user_agents: unknown kind {kind!r}; choose one of {list(_KINDS)}")
    if category is not None:
        if kind != "bot":
            raise ValueError("sample_user_agents: only bots have categories; use kind='bot'")
        if category not in BOT_CATEGORIES:
            raise ValueError(f"sample_user_agents: unknown category {category!r}; choose one of {list(BOT_CATEGORIES)}")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
        raise ValueError(f"sample_user_agents: n must be a whole number of at least 0 or None, got {n!r}")
    samples = _samples()
    pool = samples.get((kind, category), ())
    if n is None or n >= len(pool):
        return list(pool)
    rng = random.Random(f"botguard:{kind}:{category}:{seed}")
    if kind == "bot" and category is None:
        # Round-robin over the categories, each shuffled: "other" is half of all bots, so a plain
        # sample of 20 would hardly show an AI crawler or a link previewer.
        queues = [rng.sample(samples.get(("bot", c), ()), len(samples.get(("bot", c), ()))) for c in BOT_CATEGORIES]
        picked: list[str] = []
        while len(picked) < n:
            for queue in queues:
                if queue and len(picked) < n:
                    picked.append(queue.pop())
        return picked
    return rng.sample(pool, n)


# --- assertions --------------------------------------------------------------------------------


def assert_blocked(target: Any, user_agent: str | bytes | None, *, path: str = "/", method: str = "GET") -> Explanation:
    """Fail unless botguard refuses `user_agent`, saying which rule of which list let it through.

        assert_blocked(MY_CONFIG, "GPTBot/1.0 (+https://openai.com/gptbot)")
        assert_blocked(app, "curl/8.4.0", path="/admin")

    Arguments:
        target: a `Config` (judged as a middleware with it would judge), or an app: ASGI
            (Starlette, FastAPI, Django's ASGI handler) or WSGI, with botguard middleware in it.
            An app gets one real request, in this process.
        user_agent: the header value; None sends no User-Agent header.
        path, method: the request an app gets (the app's own answer does not matter).

    One rule for both kinds of target: the overrides in force apply, as they do to every
    middleware. Under `disabled()` or `pytest --botguard-disable` nothing is blocked, so this fails
    (and says why) unless the test enforces the rules again (`@pytest.mark.botguard`, `enabled()`);
    under `override(other)`, `other` decides.

    Returns the `Explanation` of the deciding middleware.
    """
    return _check(target, user_agent, path, method, want_blocked=True)


def assert_allowed(target: Any, user_agent: str | bytes | None, *, path: str = "/", method: str = "GET") -> Explanation:
    """Fail if botguard refuses `user_agent`, saying which rule of which list refused it.

        assert_allowed(MY_CONFIG, "Uptime-Kuma/1.23.16")
        assert_allowed(app, "curl/8.4.0", path="/api/health")

    Arguments as for `assert_blocked`. A path that no botguard middleware judges counts as allowed.
    """
    return _check(target, user_agent, path, method, want_blocked=False)


def _check(target: Any, user_agent: str | bytes | None, path: str, method: str, *, want_blocked: bool) -> Explanation:
    want = "block" if want_blocked else "allow"
    # The config an override forces on every middleware here (None: each enforces its own).
    forced = _forced_config()
    if isinstance(target, Config):
        config = target if forced is None else forced
        explanation = explain(user_agent, config)
        blocked = explanation.verdict.blocked and not config.monitor
        if blocked != want_blocked:
            raise AssertionError(
                f"expected botguard to {want} {_show(user_agent)}, but "
                f"{_why(blocked, explanation, config, user_agent, forced is not None)}"
            )
        return explanation
    if not callable(target):
        raise TypeError(f"expected a botguard Config or an ASGI/WSGI app, got {type(target).__name__}")
    guards, status, body, error = call_app(target, user_agent, path, method)
    configs = [guard.current()[0] for guard in _unique(guards)]
    judged = [(config, explain(user_agent, config)) for config in configs]
    where = f"{method} {path}"
    answered = f"status {status}{_raised(error)}"
    if not judged:
        if not want_blocked:
            return Explanation(Verdict.NONE, None, None)
        raise AssertionError(
            f"expected botguard to block {_show(user_agent)} at {where}, but no botguard middleware judged the request "
            f"({answered}): is botguard's middleware installed, and does this path reach it?"
        )
    # The response says whether a refusal stood: an adapter may judge a request twice (Django's
    # global rules, then a view's own rules or its exemption), and the later say wins.
    refusals = [
        (config, explanation)
        for config, explanation in judged
        if explanation.verdict.blocked and not config.monitor and _is_block_answer(config, status, body)
    ]
    if refusals:
        config, explanation = refusals[0]
        if not want_blocked:
            raise AssertionError(
                f"expected botguard to allow {_show(user_agent)} at {where}, but "
                f"{_why(True, explanation, config, user_agent, forced is not None)}"
            )
        return explanation
    passing = [(config, explanation) for config, explanation in judged if not explanation.verdict.blocked or config.monitor]
    if not passing:  # refused by the rules, let through by the app's adapter: an exempt view
        config, explanation = judged[-1]
        if want_blocked:
            raise AssertionError(
                f"expected botguard to block {_show(user_agent)} at {where}, but it passes ({answered}) although "
                f"{_describe(explanation, user_agent)} would refuse it: the view is exempt from botguard"
            )
        return Explanation(Verdict.NONE, None, None)
    config, explanation = passing[-1]
    if want_blocked:
        raise AssertionError(
            f"expected botguard to block {_show(user_agent)} at {where}, but "
            f"{_why(False, explanation, config, user_agent, forced is not None)}"
            f" ({answered})"
        )
    return explanation


def _is_block_answer(config: Config, status: int | None, body: bytes) -> bool:
    if status != config.block_status:
        return False
    # An `on_block` hook builds its own body; the status is all there is to compare.
    return config.on_block is not None or body == config._block_response.body


def _forced_config() -> Config | None:
    """The config a `botguard.testing` override forces on every middleware in this context, if any."""
    if not _override.OVERRIDES.count:
        return None
    forced: tuple[Config, Any] | None = _override.forced(None)
    return None if forced is None else forced[0]


def _why(
    blocked: bool, explanation: Explanation, config: Config, user_agent: str | bytes | None, overridden: bool
) -> str:
    if overridden and config is _disabled_config():
        return (
            "it passes: botguard is switched off here (botguard.testing.disabled(), or pytest --botguard-disable); "
            "mark the test @pytest.mark.botguard, or use botguard.testing.enabled(), to check the rules"
        )
    if blocked:
        text = f"it is refused by {_describe(explanation, user_agent)}"
    elif explanation.verdict.blocked:
        text = f"it passes because the config is in monitor mode ({_describe(explanation, user_agent)})"
    else:
        text = f"it passes: {_describe(explanation, user_agent)}"
    if overridden:
        text += " [a botguard.testing override is in force: its config decided, not the one under test]"
    return text


def _describe(explanation: Explanation, user_agent: str | bytes | None) -> str:
    """`str(explanation)` (a long pattern cut short), and the text the rule matched."""
    rule = explanation.rule
    if rule is None:
        return str(explanation)
    text = shortened(explanation, _PATTERN_SHOWN - 3) if len(rule.pattern) > _PATTERN_SHOWN else str(explanation)
    if explanation.rule_list != "policy" and user_agent is not None:
        try:
            found = regex.search(rule.pattern, normalize_user_agent(user_agent), timeout=0.1)
        except Exception:  # only decoration of a failure message: never fail on it
            found = None
        if found is not None:
            text += f", matching {found.group(0)!r}"
    return text


def _show(user_agent: str | bytes | None) -> str:
    return "a request without a User-Agent" if user_agent is None else repr(user_agent)


def _raised(error: BaseException | None) -> str:
    return "" if error is None else f"; the app raised {type(error).__name__}: {error}"


def _unique(guards: Iterable[Any]) -> list[Any]:
    seen: dict[int, Any] = {}
    for guard in guards:
        seen.setdefault(id(guard), guard)
    return list(seen.values())
