"""Headless Debian Chromium driven over the DevTools protocol: no Node, no browser download.

Chromium starts with a fresh profile and the flags this machine needs (no background
networking, which a closed network refuses), and a fake microphone that plays a WAV file.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--window-size=900,760",
]


def chromium_path() -> str:
    """Debian's chromium; skip without it, unless under CI where it must be installed."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is missing under CI: `make browser` installs it")
    pytest.skip("chromium not installed (apt-get install chromium, or `make browser`)")


class Page:
    """One tab: evaluate JavaScript, wait for a condition, take a screenshot."""

    def __init__(self, browser: Chromium, session: str) -> None:
        self.browser = browser
        self.session = session

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        return await self.browser.send(method, session=self.session, **params)

    async def eval(self, expression: str) -> Any:
        reply = await self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in reply:
            raise AssertionError(f"{expression!r} threw: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    async def wait_for(self, expression: str, timeout_s: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout_s
        while (value := await self.eval(expression)) in (None, False, "", []):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression}; console:\n{self.log}")
            await asyncio.sleep(0.2)
        return value

    async def screenshot(self, path: Path) -> Path:
        reply = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(reply["data"]))
        return path

    @property
    def log(self) -> str:
        return "\n".join(self.browser.console)


class Chromium:
    """A running headless Chromium and its DevTools connection."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.console: list[str] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.socket:
            message = json.loads(raw)
            if "id" in message and message["id"] in self.pending:
                self.pending.pop(message["id"]).set_result(message)
            elif message.get("method") == "Runtime.consoleAPICalled":
                args = message["params"]["args"]
                self.console.append(
                    " ".join(str(a.get("value", a.get("description"))) for a in args)
                )
            elif message.get("method") == "Runtime.exceptionThrown":
                self.console.append(str(message["params"]["exceptionDetails"]))

    async def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        key = next(self.ids)
        reply: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[key] = reply
        message: dict[str, Any] = {"id": key, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        await self.socket.send(json.dumps(message))
        answer = await asyncio.wait_for(reply, 30)
        if "error" in answer:
            raise AssertionError(f"{method}: {answer['error']}")
        return dict(answer.get("result", {}))

    async def open(self, url: str) -> Page:
        target = await self.send("Target.createTarget", url="about:blank")
        attached = await self.send(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        page = Page(self, attached["sessionId"])
        await page.send("Runtime.enable")
        await page.send("Page.enable")
        await page.send("Page.navigate", url=url)
        await page.wait_for("document.readyState === 'complete'")
        return page


@contextlib.asynccontextmanager
async def chromium(profile: Path, *flags: str) -> AsyncIterator[Chromium]:
    """Start Chromium with a fresh profile; ``flags`` add to the headless defaults."""
    binary = chromium_path()
    profile.mkdir(parents=True, exist_ok=True)
    command = [binary, *FLAGS, *flags, f"--user-data-dir={profile}", "--remote-debugging-port=0"]
    log = (profile / "chromium.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        *command, stdout=log, stderr=asyncio.subprocess.STDOUT
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 20
        while not port_file.exists() or len(port_file.read_text().splitlines()) < 2:
            if process.returncode is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"chromium did not start:\n{(profile / 'chromium.log').read_text()}"
                )
            await asyncio.sleep(0.1)
        port, path = port_file.read_text().splitlines()[:2]
        async with connect(f"ws://127.0.0.1:{port}{path}", max_size=None) as socket:
            browser = Chromium(socket)
            try:
                yield browser
            finally:
                browser.reader.cancel()
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()
