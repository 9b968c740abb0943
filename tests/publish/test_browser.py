"""Headless Chromium driven over the DevTools protocol (a websocket), for the site's browser tests.

Only the system package is used (`chromium` in Debian); nothing is downloaded. The page's console
errors, uncaught exceptions and failed loads are collected as they arrive.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from zoo.index import Index

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


class Chromium:
    """One headless browser with one page; `errors` collects what its console would show in red."""

    def __init__(self, executable: str) -> None:
        import websocket

        self._profile = tempfile.TemporaryDirectory(prefix="zoo-chromium-")
        self._process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",  # tests may run as root, which Chromium's sandbox refuses
                "--disable-gpu",
                "--no-first-run",
                "--window-size=1600,1000",
                "--remote-debugging-port=0",
                f"--user-data-dir={self._profile.name}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its helper processes share its group, so close() ends them all
        )
        port = self._port(Path(self._profile.name) / "DevToolsActivePort")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            targets = json.load(response)
        page = next(t for t in targets if t["type"] == "page")
        self._socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self._next_id = 0
        self.errors: list[str] = []
        self._events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def _port(self, file: Path) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if file.is_file() and file.read_text().strip():
                return int(file.read_text().split()[0])
            if self._process.poll() is not None:
                raise RuntimeError(f"chromium exited with status {self._process.returncode}")
            time.sleep(0.1)
        raise RuntimeError("chromium did not open its DevTools port within 30 s")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        self._socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = self._receive()
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def _receive(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self._socket.recv())
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(details.get("exception", {}).get("description") or details.get("text", ""))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            self.errors.append(f"{entry.get('text')} {entry.get('url', '')}".strip())
        elif method:
            self._events.append(message)
        return message

    def open(self, url: str, settle_s: float = 0.5) -> None:
        """Navigate and wait for the load event, then a moment for scripts and workers to start."""
        self._events.clear()
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 30
        while not any(e["method"] == "Page.loadEventFired" for e in self._events):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url}: no load event within 30 s")
            self._receive()
        self.evaluate(f"new Promise(resolve => setTimeout(resolve, {int(settle_s * 1000)}))")

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:60]}...: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        """End the browser and every helper it started, then remove its profile: a helper that outlived
        the browser and still wrote there made the removal fail ("Directory not empty")."""
        self._socket.close()
        for sent in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, sent)
            deadline = time.monotonic() + 10
            while _group_alive(self._process.pid) and time.monotonic() < deadline:
                self._process.poll()  # reap the browser itself; its orphaned helpers go to init
                time.sleep(0.05)
            if not _group_alive(self._process.pid):
                break
        self._process.wait(timeout=30)
        self._profile.cleanup()


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


# The tests. They open the site built from the bundled index (tests/publish/conftest.py).

CHROMIUM = find_chromium()
SKIP_REASON = (
    "BROWSER TESTS SKIPPED: no chromium on PATH (Debian: apt-get install chromium; `make test` tries)"
)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=SKIP_REASON)


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    assert CHROMIUM is not None
    chromium = Chromium(CHROMIUM)
    yield chromium
    chromium.close()


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_every_page_loads_without_console_errors(browser: Chromium, site: Path) -> None:
    pages = _pages(site)
    assert {p.name for p in pages} >= {"index.html", "leaderboard.html", "environments.html"}
    for page in pages:
        browser.errors.clear()
        browser.open(page.as_uri())
        assert browser.errors == [], f"{page.relative_to(site)}: {browser.errors}"
        assert browser.evaluate("document.querySelector('article h1') !== null"), page


def test_every_internal_link_resolves(browser: Chromium, site: Path) -> None:
    checked = 0
    for page in _pages(site):
        browser.open(page.as_uri(), settle_s=0)
        hrefs = browser.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)")
        for href in hrefs:
            if not href.startswith("file://"):
                continue  # links to other sites are links, not loads
            target, _, fragment = href.partition("#")
            path = Path(urllib.request.url2pathname(target.removeprefix("file://")))
            assert path.is_file(), f"{page.relative_to(site)} links to missing {href}"
            if fragment and path.suffix == ".html":
                assert f'id="{fragment}"' in path.read_text("utf-8"), f"{page.name} -> {href}: no such anchor"
            checked += 1
    assert checked > 10


def _table(browser: Chromium) -> list[list[str]]:
    rows: list[list[str]] = browser.evaluate(
        "[...document.querySelectorAll('table.zoo-leaderboard tbody tr')]"
        ".filter(r => !r.hidden).map(r => [...r.cells].map(c => c.textContent.trim()))"
    )
    return rows


def _click(browser: Chromium, heading: str) -> None:
    browser.evaluate(
        "[...document.querySelectorAll('table.zoo-leaderboard th button')]"
        f".find(b => b.textContent === {json.dumps(heading)}).click()"
    )


def test_leaderboard_lists_every_model_with_its_figures(
    browser: Chromium, site: Path, index: Index, results_dir: Path, screenshot: Path
) -> None:
    browser.open((site / "leaderboard.html").as_uri())
    rows = _table(browser)
    assert {row[0] for row in rows} == set(index.models)
    latency = pd.read_csv(results_dir / "latency.csv")
    shown = {(row[0], row[1], row[2]): row for row in rows}
    headings = browser.evaluate(
        "[...document.querySelectorAll('table.zoo-leaderboard thead th')].map(h => h.textContent.trim())"
    )
    column = {heading: position for position, heading in enumerate(headings)}
    for record in latency.itertuples():
        row = shown[(record.model, record.backend, record.precision)]
        assert row[column["Median (ms)"]] == f"{record.median_ms:.2f}"
        assert row[column["p90 (ms)"]] == f"{record.p90_ms:.2f}"
        assert row[column["Throughput (img/s)"]] == f"{record.throughput_ips:.1f}"
    assert shown[("tf_efficientnet_lite0", "onnxruntime", "fp32")][column["Top-1 (%)"]].startswith("74.10")
    assert browser.errors == []
    browser.screenshot(screenshot)
    assert screenshot.stat().st_size > 10_000


def test_sorting_and_filtering_change_the_rows(browser: Chromium, site: Path) -> None:
    browser.open((site / "leaderboard.html").as_uri())
    before = _table(browser)
    _click(browser, "Median (ms)")
    ascending = _table(browser)
    medians = [float(row[6]) for row in ascending if row[6]]
    assert medians == sorted(medians) and ascending != before
    _click(browser, "Median (ms)")
    descending = [float(row[6]) for row in _table(browser) if row[6]]
    assert descending == sorted(medians, reverse=True)
    browser.evaluate(
        "const f = document.querySelector('.zoo-filter'); f.value = 'lite0 openvino';"
        "f.dispatchEvent(new Event('input'))"
    )
    kept = _table(browser)
    assert kept and all(row[0] == "tf_efficientnet_lite0" and row[1] == "openvino" for row in kept)
    assert browser.evaluate("document.querySelector('.zoo-count').textContent").startswith(f"{len(kept)} of")
    assert browser.errors == []


def test_search_works_from_file(browser: Chromium, site: Path) -> None:
    """The offline search runs in the vendored iframe-worker shim; without it, file:// has no search."""
    browser.open((site / "index.html").as_uri())
    browser.evaluate("document.querySelector('input.md-search__input').focus()")
    browser.call("Input.insertText", text="lite0")
    found = browser.evaluate(
        "new Promise(resolve => { const t0 = Date.now(); (function poll() {"
        " const n = document.querySelectorAll('.md-search-result__item').length;"
        " if (n || Date.now() - t0 > 10000) resolve(n); else setTimeout(poll, 100); })(); })"
    )
    assert found >= 1
    assert browser.errors == []


def test_the_preview_server_serves_the_same_pages(browser: Chromium, site: Path, served: str) -> None:
    browser.open((site / "leaderboard.html").as_uri())
    from_file = _table(browser)
    for page in ("index.html", "environments.html", "models/tf-efficientnet-lite.html", "leaderboard.html"):
        browser.errors.clear()
        browser.open(served + page)
        assert browser.errors == [], f"{page} over http: {browser.errors}"
    assert _table(browser) == from_file
