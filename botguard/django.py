"""botguard for Django: a settings-driven middleware, per-view decorators and a system check.

    MIDDLEWARE = ["botguard.django.BotGuardMiddleware", ...]   # first, so bots cost nothing else
    BOTGUARD = {"deny": [r"(?i)scrapy"]}                       # the keys of a config file
    INSTALLED_APPS = [..., "botguard"]                         # for `manage.py check`

A thin translation of Django's request into the `Guard` every adapter shares: the same decisions
and the same answers as the ASGI and WSGI middleware. This is the only module (with its check
helper and the app config) that imports Django.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from ._config import Config
from ._django_checks import SETTING, config_from_setting
from ._errors import ConfigError
from ._guard import Decision, Guard
from ._request import Request, environ_request, scope_request
from ._responses import BlockResponse
from ._types import ConfigSource
from ._verdict import Verdict

__all__ = ["BotGuardMiddleware", "exempt", "rules"]

V = TypeVar("V", bound=Callable[..., Any])

# Where the decorators leave their mark on a view: `EXEMPT`, or the view's own `Guard`.
_ATTRIBUTE: Final = "botguard_view_rules"
EXEMPT: Final = "exempt"


class BotGuardMiddleware:
    """Answer bots with 403 before the view runs; pass everything else with `request.botguard`.

        MIDDLEWARE = ["botguard.django.BotGuardMiddleware", ...]
        BOTGUARD = {"allow": [r"(?i)uptime-kuma"], "deny": [r"(?i)scrapy"]}
        BOTGUARD = {"file": "botguard.toml", "ttl": 30}   # or {"url": ..., "ttl": ..., "headers": ...}

    Configured by `settings.BOTGUARD`, read once when Django loads the middleware: a dict of
    `Config` fields (the keys of a config file), a dict with `file`/`url` for a loader, a `Config`
    or a loader; absent means the built-in defaults. A bad setting raises `ImproperlyConfigured`.
    A relative `file` is read from `settings.BASE_DIR` when the settings have one.

    `request.botguard` is always a `Verdict` (DENY for a request refused for several User-Agent
    headers, which only an exempt view gets to see).

    Sync and async: under ASGI it runs without a thread hop, and it reads the raw headers from the
    ASGI scope, so two User-Agent headers get the same 400 as under the ASGI middleware (a WSGI
    server has already joined them). `on_block` receives the ASGI scope or the WSGI environ.
    Views marked with `exempt` or `rules` are judged by their own mark instead: the view Django
    resolved, with whatever `request.urlconf` a later middleware set.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        from django.conf import settings

        self.get_response = get_response
        try:
            self.guard = Guard(config_from_setting(getattr(settings, SETTING, None), getattr(settings, "BASE_DIR", None)))
        except ConfigError as exc:
            raise ImproperlyConfigured(f"settings.{SETTING}: {exc}") from exc
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)
            # Django wraps a sync `process_view` in sync_to_async under ASGI: a thread hop on every
            # request. An async twin avoids it.
            self.process_view = self._process_view_async  # type: ignore[method-assign]

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        response = _decide(request, self.guard)
        if response is not None and not _views_may_differ():
            return _with_verdict_header(request, response)
        request._botguard_block = response
        response = self.get_response(request)
        return _with_verdict_header(request, _unless_still_blocked(request, response))

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        # `__call__` with every crawler claim's DNS awaited off the event loop.
        response = await _adecide(request, self.guard)
        if response is not None and not _views_may_differ():
            return _with_verdict_header(request, response)
        request._botguard_block = response
        response = await self.get_response(request)
        return _with_verdict_header(request, _unless_still_blocked(request, response))

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        """Judge a request by the view Django resolved (with the urlconf in force), if it has a mark."""
        block = _take_block(request)
        mark = _view_mark(view_func)
        if isinstance(mark, Guard):
            return None if getattr(request, "_botguard_guard", None) is mark else _decide(request, mark)
        return None if mark == EXEMPT else block

    async def _process_view_async(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        block = _take_block(request)
        mark = _view_mark(view_func)
        if isinstance(mark, Guard):
            return None if getattr(request, "_botguard_guard", None) is mark else await _adecide(request, mark)
        return None if mark == EXEMPT else block


# True once any view has been marked by `exempt` or `rules`: until then a block by the settings
# stands at once, before the rest of the middleware runs.
_marked = False


def _views_may_differ() -> bool:
    """Whether a view may overrule a block: only if some view carries a mark."""
    if not _marked:
        # The root urlconf's views are marked when it is imported, which Django does lazily on
        # the first request: import it now so the very first request sees its marks.
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018
    return _marked


def _take_block(request: HttpRequest) -> HttpResponse | None:
    block: HttpResponse | None = getattr(request, "_botguard_block", None)
    request._botguard_block = None
    return block


def _unless_still_blocked(request: HttpRequest, response: Any) -> Any:
    # A block no view overruled: no view was reached (an unknown URL, or another middleware
    # answered first), so the settings' answer stands, whatever was built meanwhile.
    block = _take_block(request)
    return response if block is None else block


def exempt(view: V) -> V:
    """Let every client reach this view; `request.botguard` still says what botguard made of it.

        @botguard.django.exempt
        def robots_txt(request): ...

    Works on function views, async views, `View.as_view()` results and `View` classes. For a health
    check or `robots.txt`, which bots must read. Duplicate User-Agent headers are let through too
    (`request.botguard` is then `Verdict.DENY`: refused by the `duplicate_ua` policy).
    """
    return _mark(view, EXEMPT)


def rules(config: Config | ConfigSource | Mapping[str, Any] | None = None, **fields: Any) -> Callable[[V], V]:
    """Judge the decorated views by these rules instead of `settings.BOTGUARD`.

        api_rules = botguard.django.rules(allow=[r"^curl/", r"^python-requests/"])

        @api_rules
        def status(request): ...

    Arguments:
        config: a `Config`, a loader, or a dict of config-file keys; None means the built-in defaults.
        **fields: `Config` fields, to build a config in place (not together with `config`).

    The config is built once, here: every view decorated by the same `rules(...)` object shares one
    config and one verdict cache, while each `rules(...)` call has its own.
    """
    if isinstance(config, Mapping):
        if fields:
            raise ConfigError(f"give either a dict of settings or the fields {sorted(fields)}, not both")
        config = Config.from_mapping(config)
    guard = Guard(config, fields)

    def decorate(view: V) -> V:
        return _mark(view, guard)

    return decorate


def _mark(view: V, mark: Guard | str) -> V:
    global _marked
    _marked = True
    if isinstance(view, type):
        # A class-based view: `as_view()` exposes the class as `view_class`, where we look.
        setattr(view, _ATTRIBUTE, mark)
        return view
    wrapper: Callable[..., Any]
    if iscoroutinefunction(view):

        async def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            return await view(request, *args, **kwargs)

    else:

        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            return view(request, *args, **kwargs)

    # A new function rather than an attribute on `view`: a view shared by two URL patterns can be
    # exempt under one and guarded under the other. Set after `wraps`, so the outermost mark wins.
    functools.update_wrapper(wrapper, view)
    setattr(wrapper, _ATTRIBUTE, mark)
    return wrapper  # type: ignore[return-value]


def _view_mark(view: Any) -> Guard | str | None:
    if view is None:
        return None
    mark = getattr(view, _ATTRIBUTE, None)
    if mark is None:
        mark = getattr(getattr(view, "view_class", None), _ATTRIBUTE, None)
    return mark


def _request_of(request: HttpRequest) -> Request:
    """The `Request` of a Django request: from the ASGI scope under ASGI, else from the environ."""
    scope = getattr(request, "scope", None)
    if isinstance(scope, dict) and type(scope.get("headers")) is list:
        # The raw headers, so duplicates are seen (Django's META has joined them). Headers given
        # as an iterator (ASGI allows it) were spent building META: META it is.
        return scope_request(scope)
    return environ_request(getattr(request, "environ", request.META))


def _decide(request: HttpRequest, guard: Guard) -> HttpResponse | None:
    seen = _request_of(request)
    decision = guard.decide(seen)
    if decision.pending:
        decision = guard.settle(decision, seen)  # sync: this runs in a worker thread
    return _record(request, guard, decision)


async def _adecide(request: HttpRequest, guard: Guard) -> HttpResponse | None:
    seen = _request_of(request)
    decision = guard.decide(seen)
    if decision.pending:
        decision = await guard.asettle(decision, seen)
    return _record(request, guard, decision)


def _record(request: Any, guard: Guard, decision: Decision) -> HttpResponse | None:
    """Leave the verdict on the request, and turn a block into Django's response."""
    # Always a Verdict, so a view can read `request.botguard.name`: a request refused for several
    # User-Agent headers (which an exempt view still gets) reads as DENY, refused by a policy.
    request.botguard = Verdict.DENY if decision.verdict is None else decision.verdict
    request._botguard_guard = guard
    header = decision.header
    request._botguard_header = None if header is None else (header[0].decode("latin-1"), header[1].decode("latin-1"))
    return None if decision.response is None else _http_response(decision.response)


def _http_response(block: BlockResponse) -> HttpResponse:
    response = HttpResponse(block.body, status=block.status)
    for name, value in block.headers:
        response[name.decode("latin-1")] = value.decode("latin-1")
    return response


def _with_verdict_header(request: HttpRequest, response: Any) -> Any:
    header = getattr(request, "_botguard_header", None)
    if header is not None and isinstance(response, HttpResponseBase):
        response[header[0]] = header[1]
    return response

