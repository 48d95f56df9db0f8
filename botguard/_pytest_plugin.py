"""botguard's pytest plugin, loaded through the `pytest11` entry point wherever botguard is installed.

    pytest --botguard-disable                      # every middleware lets everything through

    @pytest.mark.botguard(enabled=False)           # this test (class, module): everything passes
    @pytest.mark.botguard(config=Config(...))      # this test: every middleware enforces Config(...)
    @pytest.mark.botguard                          # this test: each middleware's own rules, even
                                                   # under --botguard-disable

    @pytest.fixture                                # in a conftest.py: the config enforced in every
    def botguard_config(): return Config(...)      # test of its directory

The most specific setting wins: a marker over a `botguard_config` fixture over the command line.
All three are process-wide (`botguard.testing`'s `process_wide=True`), so they also reach apps
served from threads (uvicorn in a thread, Django's live server). Nothing changes unless one of
them is used.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._config import Config
from .testing import Override, disabled, enabled, override

_SESSION_OVERRIDE = pytest.StashKey[Override]()
_MARKER_HELP = (
    "botguard(enabled=True, config=None): what every botguard middleware enforces in this test: "
    "enabled=False lets everything through, config=Config(...) enforces that config, "
    "no arguments enforces each middleware's own rules (even under --botguard-disable)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("botguard")
    group.addoption(
        "--botguard-disable",
        action="store_true",
        default=False,
        help="let every request through every botguard middleware for the whole run "
        "(tests marked @pytest.mark.botguard still enforce rules)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER_HELP)
    if config.getoption("botguard_disable", default=False):
        session = disabled(process_wide=True)
        session.__enter__()
        config.stash[_SESSION_OVERRIDE] = session


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION_OVERRIDE, None)
    if session is not None:
        session.__exit__(None, None, None)
        del config.stash[_SESSION_OVERRIDE]


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.getoption("botguard_disable", default=False):
        return "botguard: disabled for this run (--botguard-disable); @pytest.mark.botguard enforces rules per test"
    return None


def _marker_arguments(marker: pytest.Mark) -> tuple[bool, Config | None]:
    unknown = set(marker.kwargs) - {"enabled", "config"}
    if marker.args or unknown:
        pytest.fail(
            f"@pytest.mark.botguard takes only the keywords enabled= and config=, got "
            f"{', '.join([*map(repr, marker.args), *sorted(unknown)])}",
            pytrace=False,
        )
    is_enabled = marker.kwargs.get("enabled", True)
    config = marker.kwargs.get("config")
    if not isinstance(is_enabled, bool):
        pytest.fail(f"@pytest.mark.botguard: enabled must be True or False, got {is_enabled!r}", pytrace=False)
    if config is not None and not isinstance(config, Config):
        pytest.fail(f"@pytest.mark.botguard: config must be a botguard Config, got {type(config).__name__}", pytrace=False)
    if not is_enabled and config is not None:
        pytest.fail("@pytest.mark.botguard: give enabled=False or config=..., not both", pytrace=False)
    return is_enabled, config


@pytest.fixture
def botguard_config(request: pytest.FixtureRequest) -> Config | None:
    """The config every botguard middleware enforces in this test; None: each enforces its own.

        def test_gptbot_refused(client, botguard_config): ...

    By default, the `config=` of the test's `botguard` marker. Define a fixture of this name in a
    conftest.py, module or class to enforce a config in all the tests it covers.
    """
    marker = request.node.get_closest_marker("botguard")
    return None if marker is None else _marker_arguments(marker)[1]


@pytest.fixture(autouse=True)
def _botguard_override(request: pytest.FixtureRequest, botguard_config: Config | None) -> Iterator[None]:
    marker = request.node.get_closest_marker("botguard")
    chosen: Override | None = None
    if marker is not None:
        is_enabled, config = _marker_arguments(marker)
        forced = config if config is not None else botguard_config
        if not is_enabled:
            chosen = disabled(process_wide=True)
        elif forced is not None:
            chosen = override(forced, process_wide=True)
        else:
            chosen = enabled(process_wide=True)
    elif botguard_config is not None:
        chosen = override(botguard_config, process_wide=True)
    if chosen is None:
        yield
        return
    # Entered before the test's other function-scoped fixtures and left after them, even when
    # the test fails.
    with chosen:
        yield
