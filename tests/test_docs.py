"""The README and the docs say what users will see: their examples run and their outputs are true.

- every `pycon` block (README and docs) runs as a doctest;
- every `python` block compiles;
- the configuration page names every `Config` field;
- the README's tour: each framework's app, written to a module as it stands, is served by a real
  server, and the `curl` lines of the `console` block after it get the output shown there.
"""

from __future__ import annotations

import dataclasses
import doctest
import re
import shlex
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from botguard import Config
from tests.support.servers import free_port, serve
from tests.support.wsgi_harness import serve_werkzeug

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>\w*)[^\n]*\n(?P<body>.*?)^(?P=indent)```$", re.M | re.S)


def blocks(path: Path, lang: str) -> list[tuple[int, str]]:
    """The fenced blocks of `lang` in a Markdown file, dedented, with the line each starts on."""
    text = path.read_text()
    return [
        (text.count("\n", 0, m.start()) + 1, textwrap.dedent(m["body"]))
        for m in FENCE.finditer(text)
        if m["lang"] == lang
    ]


def _ids(items: list[tuple[Path, int, str]]) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{line}" for path, line, _ in items]


PYCON = [(path, line, body) for path in [README, *PAGES] for line, body in blocks(path, "pycon")]
PYTHON = [(path, line, body) for path in [README, *PAGES] for line, body in blocks(path, "python")]


def test_the_readme_is_a_landing_page() -> None:
    # The README lands a user in a screenful or a few; the docs site has the rest.
    assert len(README.read_text().splitlines()) <= 250


@pytest.mark.parametrize(("path", "line", "body"), PYCON, ids=_ids(PYCON))
def test_pycon_blocks_show_real_output(path: Path, line: int, body: str) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(body, {}, f"{path.name}:{line}", str(path), line)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    runner.run(test, out=out.append)
    assert runner.failures == 0, "".join(out)


@pytest.mark.parametrize(("path", "line", "body"), PYTHON, ids=_ids(PYTHON))
def test_python_blocks_compile(path: Path, line: int, body: str) -> None:
    compile(body, f"{path.name}:{line}", "exec")


# --- the README's tour, served for real ----------------------------------------------------------

def tour() -> dict[str, tuple[list[str], str]]:
    """Each framework of the tour: its python blocks and the console block after them."""
    text = README.read_text()
    section = text[text.index("## A 30-second tour") : text.index("### Ask the rules directly")]
    parts: dict[str, tuple[list[str], str]] = {}
    for chunk in section.split("\n### ")[1:]:
        name = chunk.split("\n", 1)[0].strip()
        found: dict[str, list[str]] = {"python": [], "console": []}
        for m in FENCE.finditer(chunk):
            found.setdefault(m["lang"], []).append(m["body"])
        assert len(found["console"]) == 1, f"{name}: one console block expected"
        parts[name] = (found["python"], found["console"][0])
    return parts


def curl_lines(console: str) -> Iterator[tuple[str | None, str, str]]:
    """(User-Agent or None, path, expected output) for each `$ curl` line of a console block."""
    for command, output in re.findall(r"^\$ (curl [^\n]*)\n((?:(?!\$ )[^\n]*\n?)*)", console, re.M):
        args = shlex.split(command)
        agent = args[args.index("-A") + 1] if "-A" in args else None
        url = next(a for a in args if a.startswith("http://"))
        yield agent, "/" + url.split("/", 3)[3], output.strip()


def check_console(base: str, console: str) -> None:
    checked = 0
    for agent, path, expected in curl_lines(console):
        # curl sends its own name when no -A is given.
        headers = {"user-agent": agent if agent is not None else "curl/8.4.0"}
        answer = httpx.get(base + path, headers=headers, timeout=10)
        assert answer.text.strip() == expected, (agent, path, answer.status_code, answer.text)
        checked += 1
    assert checked >= 2


TOUR = tour()


def test_the_tour_covers_every_framework() -> None:
    assert list(TOUR) == ["Starlette", "FastAPI", "Django", "Flask, and any WSGI app"]


@pytest.mark.parametrize("name", ["Starlette", "FastAPI"])
def test_asgi_tour_under_uvicorn(name: str, tmp_path: Path) -> None:
    (code,), console = TOUR[name]
    (tmp_path / "tour_app.py").write_text(code)
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "tour_app:app", "--app-dir", str(tmp_path)]
    with serve([*argv, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], port) as base:
        check_console(base, console)


def test_django_tour_under_uvicorn(tmp_path: Path) -> None:
    (settings, views), console = TOUR["Django"]
    # The README's settings as they stand, plus what every project has.
    (tmp_path / "tour_settings.py").write_text(
        settings + '\nSECRET_KEY = "tour"\nALLOWED_HOSTS = ["127.0.0.1"]\nROOT_URLCONF = "tour_urls"\n'
    )
    (tmp_path / "tour_views.py").write_text(views)
    (tmp_path / "tour_urls.py").write_text(
        "from django.urls import path\nfrom tour_views import home\nurlpatterns = [path('', home)]\n"
    )
    (tmp_path / "tour_asgi.py").write_text(
        "import os\nos.environ['DJANGO_SETTINGS_MODULE'] = 'tour_settings'\n"
        "from django.core.asgi import get_asgi_application\napplication = get_asgi_application()\n"
    )
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "tour_asgi:application", "--app-dir", str(tmp_path)]
    with serve([*argv, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], port) as base:
        check_console(base, console)


def test_flask_tour_under_werkzeug() -> None:
    (code,), console = TOUR["Flask, and any WSGI app"]
    namespace: dict[str, Any] = {"__name__": "tour_flask"}
    exec(compile(code, "README.md (Flask tour)", "exec"), namespace)
    with serve_werkzeug(namespace["app"]) as base:
        check_console(base, console)


def test_the_configuration_page_names_every_config_field() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text()
    public = [f.name for f in dataclasses.fields(Config) if f.init]
    missing = [name for name in public if f"`{name}`" not in page]
    assert not missing, f"Config fields with no row in docs/configuration.md's field table: {missing}"
