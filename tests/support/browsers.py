"""Real browsers and real clients against `examples/browser_page.py`: servers, certificates, launchers.

Debian's `chromium` and `firefox-esr` run headless without a webdriver: each opens the page,
whose script makes every kind of request and ends with `/done`; the server records every
request's verdict, and `/verdicts` hands the records over.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.servers import ROOT, free_port, stop

APT_HINT = "install it with `apt-get install -y chromium chromium-driver firefox-esr libnss3-tools` (.ci/run does)"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
FIREFOX_PREFS = {
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.aboutwelcome.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.update.disabledForTesting": True,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
}


@dataclass(frozen=True)
class Site:
    """A running `browser_page` server: its base URL and the CA file that trusts its certificate."""

    base: str
    ca: Path | None

    def verdicts(self) -> list[dict[str, Any]]:
        verify = ssl.create_default_context(cafile=str(self.ca)) if self.ca else True
        answer = httpx.get(self.base + "/verdicts", verify=verify, timeout=5)
        answer.raise_for_status()
        records: list[dict[str, Any]] = answer.json()
        return records


@dataclass(frozen=True)
class Certificate:
    """A CA and a server certificate for 127.0.0.1 and localhost (from `trustme`)."""

    ca: Path
    chain: Path
    key: Path


def make_certificate(directory: Path) -> Certificate:
    trustme = pytest.importorskip("trustme", reason="trustme is in the dev extra: pip install -e '.[dev]'")
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    paths = Certificate(directory / "ca.pem", directory / "chain.pem", directory / "key.pem")
    ca.cert_pem.write_to_path(str(paths.ca))
    for blob in issued.cert_chain_pems:
        blob.write_to_path(str(paths.chain), append=True)
    issued.private_key_pem.write_to_path(str(paths.key))
    return paths


@contextlib.contextmanager
def serve_page(server: str, certificate: Certificate | None) -> Iterator[Site]:
    """Serve `examples/browser_page.py` with uvicorn (ASGI) or gunicorn (WSGI), http or https."""
    port = free_port()
    if server == "uvicorn":
        argv = [sys.executable, "-m", "uvicorn", "examples.browser_page:asgi_app", "--host", "127.0.0.1",
                "--port", str(port), "--ws", "wsproto", "--log-level", "warning"]
        if certificate:
            argv += ["--ssl-certfile", str(certificate.chain), "--ssl-keyfile", str(certificate.key)]
    else:
        # One worker: the records live in its memory.
        argv = [sys.executable, "-m", "gunicorn", "examples.browser_page:wsgi_app", "-b", f"127.0.0.1:{port}",
                "-w", "1", "--threads", "8", "--log-level", "warning"]
        if certificate:
            argv += ["--certfile", str(certificate.chain), "--keyfile", str(certificate.key)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    site = Site(f"{'https' if certificate else 'http'}://127.0.0.1:{port}", certificate.ca if certificate else None)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                raise RuntimeError(f"{server} exited with {proc.returncode}:\n{output}")
            try:
                site.verdicts()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield site
    finally:
        stop(proc)


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip(f"Debian's chromium is not installed: {APT_HINT}")
    return path


def firefox() -> str:
    path = shutil.which("firefox-esr") or shutil.which("firefox")
    if path is None:
        pytest.skip(f"Debian's firefox-esr is not installed: {APT_HINT}")
    return path


def chromium_major(path: str) -> int:
    """The major version of the installed Chromium ("Chromium 156.0.8078.114 built on Debian ...")."""
    output = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    found = re.search(r"(\d+)\.\d+\.\d+", output)
    if found is None:
        pytest.skip(f"cannot read Chromium's version from {output!r}")
    return int(found.group(1))


def person_chrome_agent(major: int) -> str:
    """The User-Agent of a person's Chrome on Linux, of the given version (what Chrome itself sends)."""
    return f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{major}.0.0.0 Safari/537.36"


def trust(ca: Path, nss_directory: Path) -> None:
    """Make an NSS certificate database (Chromium's `~/.pki/nssdb`, a Firefox profile) trust `ca`."""
    certutil = shutil.which("certutil")
    if certutil is None:
        pytest.skip(f"certutil (Debian's libnss3-tools) is not installed: {APT_HINT}")
    nss_directory.mkdir(parents=True, exist_ok=True)
    database = f"sql:{nss_directory}"
    subprocess.run([certutil, "-N", "-d", database, "--empty-password"], check=True, capture_output=True, timeout=60)
    subprocess.run(
        [certutil, "-A", "-d", database, "-n", "botguard test CA", "-t", "C,,", "-i", str(ca)],
        check=True, capture_output=True, timeout=60,
    )


def chromium_command(path: str, home: Path, url: str, user_agent: str | None, ca: Path | None) -> tuple[list[str], dict[str, str]]:
    """Headless Chromium with a fresh profile (and, for https, a fresh NSS database that trusts `ca`)."""
    if ca is not None:
        trust(ca, home / ".pki" / "nssdb")
    argv = [path, *CHROMIUM_FLAGS, f"--user-data-dir={home / 'profile'}"]
    if user_agent is not None:
        argv.append(f"--user-agent={user_agent}")
    return [*argv, url], {**os.environ, "HOME": str(home)}


def firefox_command(path: str, home: Path, url: str, ca: Path | None) -> tuple[list[str], dict[str, str]]:
    """Headless Firefox with a fresh profile (whose certificate database trusts `ca`, for https)."""
    profile = home / "profile"
    profile.mkdir(parents=True)
    prefs = "".join(f'user_pref("{name}", {_js(value)});\n' for name, value in FIREFOX_PREFS.items())
    (profile / "user.js").write_text(prefs)
    if ca is not None:
        trust(ca, profile)
    argv = [path, "--headless", "--no-remote", "--profile", str(profile), url]
    return argv, {**os.environ, "HOME": str(home), "MOZ_HEADLESS": "1"}


def _js(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"'


def browse(argv: list[str], env: dict[str, str], site: Site, until: str, timeout: float = 90.0) -> list[dict[str, Any]]:
    """Run a browser until the site has seen a request for `until`, then stop it; the site's records."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            records = site.verdicts()
            if any(record["path"] == until for record in records):
                # A moment for the requests still in flight (a favicon) to be recorded too.
                time.sleep(0.5)
                return site.verdicts()
            if proc.poll() is not None:
                break
            time.sleep(0.2)
        errors = proc.stderr.read().decode(errors="replace")[-2000:] if proc.poll() is not None and proc.stderr else ""
        raise AssertionError(f"{argv[0]} never asked for {until}; records: {site.verdicts()}\n{errors}")
    finally:
        # The browser's own process group (it was started in a new session): its helpers too.
        _signal_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        pass
