"""Headless Chromium driven through the DevTools protocol over a pipe (standard library
only): open a page from disk, collect its console errors, evaluate script, screenshot.

The tests check the viewer's pages with it, and `benchmarks/viewer_pages.py` measures
their frame rate. Needs a `chromium` (or Chrome) executable, e.g. Debian's `chromium`.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

EXECUTABLES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--hide-scrollbars",
    "--mute-audio",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--remote-debugging-pipe",
)
# A Canvas2D page needs no GPU process: without one, screenshots take a fraction of a second.
NO_GPU = ("--disable-gpu",)
# Chrome 137+ no longer falls back to SwiftShader for WebGL on its own; these flags ask for it.
WEBGL = ("--enable-unsafe-swiftshader", "--use-angle=swiftshader")


def find_chromium() -> str | None:
    """Path of a Chromium or Chrome executable on PATH, or None."""
    for name in EXECUTABLES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Chromium:
    """One headless browser with one page. Use as a context manager."""

    def __init__(
        self,
        width: int = 1280,
        height: int = 900,
        executable: str | None = None,
        timeout: float = 60,
        webgl: bool = False,
    ) -> None:
        """Starts the browser with a `width` x `height` viewport; `webgl` turns on
        SwiftShader's software WebGL, which pages that need WebGL need headless."""
        executable = executable or find_chromium()
        if executable is None:
            raise RuntimeError(f"no Chromium found (looked for {', '.join(EXECUTABLES)}): apt-get install chromium")
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="gail_fast_chromium_")
        # The browser reads commands on its fd 3 and writes answers on its fd 4.
        commands_r, self._commands = os.pipe()
        self._answers, answers_w = os.pipe()

        def map_fds() -> None:
            high_r, high_w = fcntl.fcntl(commands_r, fcntl.F_DUPFD, 10), fcntl.fcntl(answers_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self._proc = subprocess.Popen(
            [
                executable,
                *FLAGS,
                *(WEBGL if webgl else NO_GPU),
                f"--user-data-dir={self._profile.name}",
                f"--window-size={width},{height}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=map_fds,
        )
        os.close(commands_r)
        os.close(answers_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._call("Browser.close")
        except Exception:
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for fd in (self._commands, self._answers):
            try:
                os.close(fd)
            except OSError:
                pass
        self._profile.cleanup()

    # ---- the protocol --------------------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._answers], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._answers, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe (did it crash?)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def _call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        request: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(self._commands, json.dumps(request).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Sends a DevTools command to the page; returns its result."""
        return self._call(method, params, self._session)

    def wait_for(self, method: str) -> dict[str, Any]:
        """Waits for the page's next event `method` (e.g. "Page.loadEventFired")."""
        deadline = time.monotonic() + self.timeout
        seen = len(self.events)
        while True:
            for event in self.events[seen:]:
                if event["method"] == method:
                    return event
            seen = len(self.events)
            self.events.append(self._read_message(deadline))

    # ---- what the tests and the benchmark use --------------------------------------------------

    def open(self, path: str | Path, fragment: str = "") -> None:
        """Loads a file (with an optional `#fragment`) afresh, and waits for its load event
        and for two frames painted after it, so that a screenshot shows the page."""
        url = Path(path).resolve().as_uri() + (f"#{fragment}" if fragment else "")
        # Through a blank page, because a change of fragment alone would load nothing.
        for address in ("about:blank", url):
            self.events.clear()
            self.call("Page.navigate", {"url": address})
            self.wait_for("Page.loadEventFired")
        self.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))", True)

    def evaluate(self, expression: str, await_promise: bool = False) -> Any:
        """The value of a script expression in the page; RuntimeError if it throws."""
        result = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": await_promise}
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self) -> bytes:
        """A PNG of the page's viewport."""
        return base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"})["data"])

    def console_errors(self) -> list[str]:
        """Errors the page has reported so far: console.error, uncaught exceptions, failed loads."""
        out = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                out.append(details.get("exception", {}).get("description") or details.get("text", "exception"))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                out.append(params["entry"].get("text", ""))
        return out
