"""Fixtures an app's own suite would have: a Starlette TestClient and an httpx client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from .app import app


@pytest.fixture
def client() -> Iterator[TestClient]:
    # Sends `User-Agent: testclient`, which names no bot: the site's rules let it through.
    with TestClient(app) as client:
        yield client


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    # Sends `User-Agent: python-httpx/...`, an HTTP library: the site's rules refuse it.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client
