"""The browser dialer: talk to a bot from the browser's microphone, no carrier or LiveKit.

``GET /dialer`` serves the page, ``GET /dialer/bots`` lists the embedded bots and
``POST /dialer/offer`` answers the page's SDP offer. The call then runs like every other one
(a slot, the bot's pipeline, the session, a result written before the slot is released) over
Pipecat's ``SmallWebRTCTransport`` at 16 kHz. The transcript goes back on the peer
connection's own data channel: no second socket to authenticate or key by call id, and it
ends with the call. Auth is the media sockets' rule: ``VOXCORE_MEDIA_TOKEN`` when it is set
(``voxcore serve`` insists on it off loopback), as ``?token=`` or a Bearer header.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, FastAPI, HTTPException
from fastapi.responses import FileResponse
from loguru import logger
from pipecat.transports.base_transport import TransportParams
from pipecat.transports.smallwebrtc.connection import SmallWebRTCConnection
from pipecat.transports.smallwebrtc.transport import SmallWebRTCTransport
from pydantic import BaseModel, Field
from starlette.requests import HTTPConnection

from functions.call.pipeline import CallerEvents, build_pipeline
from functions.call.session import CallSession
from functions.carriers.base import CLOSE_INTERNAL, CLOSE_NORMAL
from functions.carriers.guard import Ending
from functions.routes.media import with_recording
from functions.state import AppState
from shared.calls import CallRequest
from shared.config.bot import BotConfig
from shared.config.source import BotConfigError
from shared.results import CallResult
from shared.scenarios import get as get_scenario
from shared.scenarios.base import Scenario
from shared.tracker import CapacityFullError, TrackerUnavailableError

SAMPLE_RATE = 16000
CONNECT_TIMEOUT_S = 30.0  # an answered offer whose browser never connects frees its slot
SHUTDOWN_WAIT_S = 10.0
WEB_DIR = Path(__file__).resolve().parents[1] / "web"
ASSETS = {"dialer.js": "text/javascript", "dialer.css": "text/css"}


class CallEnd:
    """Why a browser call ended (the first reason wins): the session's ``CallGuard``."""

    def __init__(self) -> None:
        self.ending: Ending | None = None

    def end(self, code: int, reason: str, by: str) -> None:
        if self.ending is None:
            self.ending = Ending(code, reason, by)


class BrowserCall:
    """One running browser call, so the server's shutdown can end it with a result."""

    def __init__(self, request: CallRequest) -> None:
        self.request = request
        self.end = CallEnd()
        self.cancel: asyncio.Event = asyncio.Event()


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    calls: dict[BrowserCall, asyncio.Task[None]] = {}
    app.state.browser_calls = calls
    yield
    for call in calls:  # ended through the session, so each still writes its result
        call.end.end(CLOSE_INTERNAL, "server shutting down", "error")
        call.cancel.set()
    if calls:
        _, stuck = await asyncio.wait(list(calls.values()), timeout=SHUTDOWN_WAIT_S)
        for task in stuck:
            task.cancel()
        await asyncio.gather(*stuck, return_exceptions=True)


router = APIRouter(lifespan=lifespan)


def authorized(connection: HTTPConnection) -> AppState:
    state: AppState = connection.app.state.voxcore
    expected = state.settings.media_token
    if expected is None:
        return state
    header = connection.headers.get("authorization", "")
    offered = connection.query_params.get("token") or header.removeprefix("Bearer ").strip()
    if not hmac.compare_digest(offered.encode(), expected.get_secret_value().encode()):
        raise HTTPException(401, "unauthorized: pass VOXCORE_MEDIA_TOKEN as ?token=")
    return state


Authorized = Annotated[AppState, Depends(authorized)]


class Offer(BaseModel):
    sdp: str = Field(max_length=64_000)
    type: Literal["offer"]
    bot: str = Field(min_length=1, max_length=200)


@router.get("/dialer", include_in_schema=False)
async def page(_: Authorized) -> FileResponse:
    return FileResponse(WEB_DIR / "dialer.html", media_type="text/html")


@router.get("/dialer/assets/{name}", include_in_schema=False)
async def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise HTTPException(404, "no such asset")
    return FileResponse(WEB_DIR / name, media_type=ASSETS[name])


@router.get("/widget/voxcore-call.js", include_in_schema=False)
async def widget() -> FileResponse:
    """The embeddable ``<voxcore-call>`` element (docs/widget.md): public, cached an hour."""
    bundle = WEB_DIR / "voxcore-call.js"
    if not bundle.exists():
        raise HTTPException(404, "the widget is not built: run `make widget`")
    headers = {"Cache-Control": "public, max-age=3600"}
    return FileResponse(bundle, media_type="text/javascript", headers=headers)


@router.get("/dialer/bots")
async def bots(state: Authorized) -> list[dict[str, str]]:
    return [{"id": bot.id, "name": bot.name or bot.id} for bot in state.defaults.list()]


@router.post("/dialer/offer")
async def offer(body: Offer, state: Authorized, connection: HTTPConnection) -> dict[str, str]:
    """Reserve a slot and answer the offer; the call itself runs on in a task of its own."""
    if "m=audio" not in body.sdp:
        raise HTTPException(400, "the offer has no audio to answer")
    if not state.ready.is_set():
        raise HTTPException(503, "not ready: models are loading")
    try:
        bot = await state.bots.by_id(body.bot)
        scenario = get_scenario(bot.scenario)
    except (LookupError, BotConfigError) as error:
        raise HTTPException(404, str(error.args[0]) if error.args else "no such bot") from None
    request = CallRequest(uuid.uuid4().hex, "webrtc", bot_id=bot.id, sample_rate=SAMPLE_RATE)
    call = BrowserCall(request)
    answered: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()
    calls: dict[BrowserCall, asyncio.Task[None]] = connection.app.state.browser_calls
    calls[call] = asyncio.create_task(serve(state, call, bot, scenario, body.sdp, answered))
    calls[call].add_done_callback(lambda _: calls.pop(call, None))
    return {**(await answered), "call_id": request.call_id}


async def serve(
    state: AppState,
    call: BrowserCall,
    bot: BotConfig,
    scenario: Scenario,
    sdp: str,
    answered: asyncio.Future[dict[str, str]],
) -> None:
    call_id = call.request.call_id
    async with contextlib.AsyncExitStack() as held:
        try:
            await held.enter_async_context(state.tracker.slot(call_id))
            peer = SmallWebRTCConnection()
            await peer.initialize(sdp=sdp, type="offer")
        except (CapacityFullError, TrackerUnavailableError) as error:
            logger.warning(f"call {call_id} (webrtc): refused: {error}")
            answered.set_exception(HTTPException(503, str(error), {"Retry-After": "5"}))
            return
        except Exception as error:
            logger.warning(f"call {call_id} (webrtc): bad offer: {error}")
            answered.set_exception(HTTPException(400, f"could not answer the offer: {error}"))
            return
        held.push_async_callback(peer.disconnect)
        if answered.cancelled():  # the page left before its answer
            return
        answered.set_result(cast(dict[str, str], peer.get_answer()))
        result = await run_call(state, call, bot, scenario, peer)
        await state.record(result)
        logger.info(f"call {call_id} ended: {result.close_reason}")


async def run_call(
    state: AppState, call: BrowserCall, bot: BotConfig, scenario: Scenario, peer: Any
) -> CallResult:
    request, end = call.request, call.end
    params = TransportParams(
        audio_in_enabled=True,
        audio_out_enabled=True,
        audio_in_sample_rate=SAMPLE_RATE,
        audio_out_sample_rate=SAMPLE_RATE,
    )
    transport = SmallWebRTCTransport(webrtc_connection=peer, params=params)
    try:
        pipeline = build_pipeline(
            bot, scenario, transport, SAMPLE_RATE, state.credentials, events=CallerEvents()
        )
        session = CallSession(
            request, bot, scenario, pipeline, end, state.credentials, state.webhooks
        )
    except Exception as error:
        logger.exception(f"call {request.call_id}: could not run: {error}")
        return failed(request, "internal error")
    connected = asyncio.Event()

    async def stop(code: int, reason: str, by: str) -> None:
        end.end(code, reason, by)
        await pipeline.worker.cancel(reason=reason)

    async def on_connected(*_: Any) -> None:
        connected.set()

    async def on_message(_transport: Any, message: Any, _sender: Any) -> None:
        if isinstance(message, dict) and message.get("type") == "hangup":
            await stop(CLOSE_NORMAL, "caller hung up", "caller")

    def send(role: str, message: Any) -> None:
        text = (getattr(message, "content", "") or "").strip()
        if text:
            peer.send_app_message({"type": "transcript", "role": role, "text": text})

    async def on_caller_turn(_aggregator: Any, _strategy: Any, message: Any) -> None:
        send("caller", message)

    async def on_bot_turn(_aggregator: Any, message: Any) -> None:
        send("bot", message)

    transport.add_event_handler("on_client_connected", on_connected)
    transport.add_event_handler("on_app_message", on_message)
    pipeline.user.add_event_handler("on_user_turn_stopped", on_caller_turn)
    pipeline.assistant.add_event_handler("on_assistant_turn_stopped", on_bot_turn)

    async def expect_browser() -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(connected.wait(), CONNECT_TIMEOUT_S)
        if not connected.is_set():
            await stop(CLOSE_NORMAL, "browser never connected", "caller")

    async def on_shutdown() -> None:
        await call.cancel.wait()
        await pipeline.worker.cancel(reason="server shutting down")

    logger.info(f"call {request.call_id} (webrtc): bot {bot.id} from the browser dialer")
    watchers = [asyncio.create_task(expect_browser()), asyncio.create_task(on_shutdown())]
    try:
        result = await session.run()
    finally:
        for watcher in watchers:
            watcher.cancel()
    if pipeline.recorder is not None:
        result = await with_recording(state, result, pipeline.recorder)
    return result


def failed(request: CallRequest, reason: str) -> CallResult:
    return CallResult.unstarted(
        call_id=request.call_id,
        transport=request.transport,
        bot_id=request.bot_id,
        by="error",
        code=CLOSE_INTERNAL,
        reason=reason,
    )
