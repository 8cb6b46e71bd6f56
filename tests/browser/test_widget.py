"""The ``<voxcore-call>`` widget in headless Chromium, against a stub ``POST /livekit/widget``.

Its media path needs a LiveKit server, so what is tested here is what a page sees: the
element renders, asks the endpoint for a room with its bot, shows a refusal or a failed
connection and returns to idle, and (with a scripted room in place of LiveKit's) goes
in-call, toggles the microphone, shows captions and hangs up.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.browser.chromium import Page, chromium

BUNDLE = Path(__file__).resolve().parents[2] / "functions" / "web" / "voxcore-call.js"
PAGE = b"""<!doctype html><html><body>
<voxcore-call id="ok" bot="support-desk"></voxcore-call>
<voxcore-call id="full" bot="full"></voxcore-call>
<script src="/widget/voxcore-call.js"></script></body></html>"""
# A LiveKit room stand-in: records what the widget asks of it, emits the events it listens to.
FAKE_ROOM = """(() => {
  const room = { handlers: {}, mic: false, connected: null, left: false,
    on(name, handler) { this.handlers[name] = handler; return this; },
    emit(name, ...args) { this.handlers[name]?.(...args); },
    removeAllListeners() { this.handlers = {}; },
    async connect(url, token) { this.connected = [url, token]; },
    async disconnect() { this.left = true; this.emit('disconnected'); },
    localParticipant: { get isMicrophoneEnabled() { return room.mic; },
      async setMicrophoneEnabled(on) { room.mic = on; } } };
  window.fakeRoom = room;
  document.getElementById('ok').createRoom = () => room;
})()"""


class Stub(BaseHTTPRequestHandler):
    posted: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *_: Any) -> None:
        pass

    def reply(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/widget/voxcore-call.js":
            self.reply(200, BUNDLE.read_bytes(), "text/javascript")
        else:
            self.reply(200, PAGE, "text/html")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Stub.posted.append(body)
        if body["bot"] == "full":
            self.reply(503, b'{"detail": "no free call slot"}', "application/json")
        else:  # a room grant whose LiveKit server is not there
            grant = {"url": "ws://127.0.0.1:9", "token": "t0ken", "room": "widget-1"}
            self.reply(200, json.dumps(grant).encode(), "application/json")


@pytest.fixture
def stub() -> Iterator[str]:
    if not BUNDLE.exists():
        missing = "widget not built: `make widget` (npm ci && npm run build in web/)"
        pytest.fail(missing) if os.environ.get("CI") else pytest.skip(missing)
    Stub.posted.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def widget(name: str, expression: str) -> str:
    return f"document.getElementById('{name}').{expression}"


async def shadow(page: Page, name: str, part: str) -> str:
    return str(await page.eval(widget(name, f"shadowRoot.querySelector('.{part}').textContent")))


async def test_refused_and_unreachable_rooms_return_to_idle(stub: str, tmp_path: Path) -> None:
    async with chromium(tmp_path / "profile") as browser:
        page = await browser.open(stub)
        await page.wait_for(widget("full", "dataset.state === 'idle'"))
        assert await shadow(page, "full", "call") == "Call"
        await page.eval(widget("full", "shadowRoot.querySelector('.call').click()"))
        await page.wait_for(widget("full", "shadowRoot.querySelector('.status').textContent"))
        assert await shadow(page, "full", "status") == "call refused: no free call slot"
        assert await page.eval(widget("full", "state")) == "idle"

        await page.eval(widget("ok", "shadowRoot.querySelector('.call').click()"))
        assert await page.eval(widget("ok", "state")) == "connecting"
        await page.wait_for(widget("ok", "state === 'idle'"), 20)
        assert await page.eval(widget("ok", "shadowRoot.querySelector('.status.error') !== null"))
        assert "could not" in (await shadow(page, "ok", "status")).lower()
    assert Stub.posted == [{"bot": "full"}, {"bot": "support-desk"}]


async def test_call_mic_captions_and_hang_up(stub: str, tmp_path: Path) -> None:
    async with chromium(tmp_path / "profile") as browser:
        page = await browser.open(stub)
        await page.wait_for(widget("ok", "dataset.state === 'idle'"))
        await page.eval(FAKE_ROOM)
        await page.eval(widget("ok", "shadowRoot.querySelector('.call').click()"))
        await page.wait_for(widget("ok", "state === 'in-call'"))
        assert await page.eval("fakeRoom.connected") == ["ws://127.0.0.1:9", "t0ken"]
        assert await shadow(page, "ok", "call") == "Hang up"
        assert await shadow(page, "ok", "mic") == "Mic on"

        await page.eval(widget("ok", "shadowRoot.querySelector('.mic').click()"))
        await page.wait_for("fakeRoom.mic === false")
        assert await shadow(page, "ok", "mic") == "Mic off"

        message = json.dumps({"type": "transcript", "role": "bot", "text": "How can I help?"})
        await page.eval(f"fakeRoom.emit('dataReceived', new TextEncoder().encode({message!r}))")
        assert await shadow(page, "ok", "caption") == "How can I help?"
        heard = "[{text: 'my order'}], fakeRoom.localParticipant"
        await page.eval(f"fakeRoom.emit('transcriptionReceived', {heard})")
        assert await shadow(page, "ok", "caption") == "You: my order"

        await page.eval(widget("ok", "shadowRoot.querySelector('.call').click()"))
        await page.wait_for(widget("ok", "state === 'idle'"))
        assert await page.eval("fakeRoom.left") is True
        assert await shadow(page, "ok", "status") == "call ended"
