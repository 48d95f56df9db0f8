"""Fixtures shared by the test modules. The User-Agents they send are in `tests.support.agents`,
harnesses and servers in `tests.support`, the apps they serve in `tests.apps`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.dns import StubResolver


@pytest.fixture
def stub() -> Iterator[StubResolver]:
    resolver = StubResolver()
    yield resolver
    if resolver.gate is not None:
        resolver.gate.set()  # never leave a worker thread hanging
