"""Carrier wire formats from the carrier's side: what a phone network sends a voice bot.

Pure message building and parsing, one small class per carrier with a common interface, so
the session speaks Exotel Voicebot, Twilio Media Streams or the dialler protocol
(docs/dialler-protocol.md) alike. All audio here is mono int16 at 8 kHz.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

RATE = 8000
CARRIERS = ("exotel", "twilio", "dialler")
_BIAS, _CLIP = 0x84, 32635


def ulaw_encode(pcm: np.ndarray) -> bytes:
    """G.711 mu-law (Twilio's audio/x-mulaw); numpy, since ``audioop`` is deprecated."""
    x = (pcm.astype(np.int32) >> 2) << 2  # 14-bit input, as G.711 (and audioop) quantize it
    sign = np.where(x < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(x), _CLIP) + _BIAS
    exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 7
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


def ulaw_decode(data: bytes) -> np.ndarray:
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    exponent, mantissa = (u >> 4) & 0x07, u & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.int16)


def pcm_b64(pcm: np.ndarray) -> str:
    return base64.b64encode(pcm.astype("<i2").tobytes()).decode("ascii")


def pcm_decode(payload: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(payload, validate=True), dtype="<i2").astype(np.int16)


@dataclass(frozen=True)
class ServerEvent:
    """One message from the bot's server, reduced to what a phone line cares about."""

    kind: Literal["media", "clear", "mark", "hangup", "error", "other"]
    audio: np.ndarray | None = None
    name: str = ""  # mark name
    reason: str = ""  # hangup or error reason


@dataclass(frozen=True)
class CallIdentity:
    call_id: str
    bot: str | None = None
    from_: str = "+15551230000"
    to: str = "+15557650000"
    params: dict[str, str] = field(default_factory=dict)  # extra custom/stream parameters

    def custom(self) -> dict[str, str]:
        base = {"bot": self.bot} if self.bot else {}
        return {**base, "from": self.from_, "to": self.to, **self.params}


def _json(data: str | bytes) -> dict[str, Any] | None:
    try:
        message = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return message if isinstance(message, dict) else None


class CarrierClient(ABC):
    """The carrier end of one call's socket."""

    name: ClassVar[str]

    def __init__(self, call: CallIdentity) -> None:
        self.call = call
        self.seq = 0

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    @abstractmethod
    def opening(self) -> list[str]:
        """Messages sent as soon as the socket opens (connected, start)."""

    @abstractmethod
    def media(self, pcm: np.ndarray) -> str:
        """One frame of the caller's audio."""

    @abstractmethod
    def hangup(self, reason: str) -> str:
        """The caller hanging up."""

    def mark_played(self, name: str) -> str | None:
        """Echo of a server mark once the audio queued before it was played (or cleared)."""
        return None

    @abstractmethod
    def decode(self, payload: str) -> np.ndarray:
        """A media payload as int16 PCM."""

    def parse(self, data: str | bytes) -> ServerEvent:
        message = _json(data)
        if message is None:
            return ServerEvent("other")
        event = message.get("event")
        if event == "media":
            media = message.get("media", message)
            payload = media.get("payload") if isinstance(media, dict) else None
            try:
                return ServerEvent("media", audio=self.decode(str(payload)))
            except (binascii.Error, ValueError):
                return ServerEvent("other")
        if event == "clear":
            return ServerEvent("clear")
        if event == "mark":
            mark = message.get("mark")
            return ServerEvent(
                "mark", name=str(mark.get("name", "")) if isinstance(mark, dict) else ""
            )
        if event == "hangup":
            return ServerEvent("hangup", reason=str(message.get("reason", "")))
        if event == "error":
            return ServerEvent("error", reason=f"{message.get('code')}: {message.get('reason')}")
        return ServerEvent("other")


class ExotelClient(CarrierClient):
    """Exotel Voicebot applet: base64 slin (PCM16 LE) 8 kHz; ids are snake_case."""

    name = "exotel"

    def __init__(self, call: CallIdentity) -> None:
        super().__init__(call)
        self.stream_sid = uuid.uuid4().hex
        self.account_sid = "voxcorelab"
        self.chunk = 0

    def _base(self, event: str) -> dict[str, Any]:
        return {"event": event, "sequence_number": self._next(), "stream_sid": self.stream_sid}

    def opening(self) -> list[str]:
        start = self._base("start") | {
            "start": {
                "stream_sid": self.stream_sid,
                "call_sid": self.call.call_id,
                "account_sid": self.account_sid,
                "from": self.call.from_,
                "to": self.call.to,
                "custom_parameters": self.call.custom(),
                "media_format": {
                    "encoding": "base64",
                    "sample_rate": "8000",
                    "bit_rate": "128kbps",
                },
            }
        }
        return [json.dumps({"event": "connected"}), json.dumps(start)]

    def media(self, pcm: np.ndarray) -> str:
        self.chunk += 1
        media = {
            "chunk": self.chunk,
            "timestamp": str((self.chunk - 1) * 20),
            "payload": pcm_b64(pcm),
        }
        return json.dumps(self._base("media") | {"media": media})

    def hangup(self, reason: str) -> str:
        stop = {"call_sid": self.call.call_id, "account_sid": self.account_sid, "reason": reason}
        return json.dumps(self._base("stop") | {"stop": stop})

    def mark_played(self, name: str) -> str:
        return json.dumps(self._base("mark") | {"mark": {"name": name}})

    def decode(self, payload: str) -> np.ndarray:
        return pcm_decode(payload)


class TwilioClient(CarrierClient):
    """Twilio Media Streams: base64 mu-law 8 kHz; camelCase ids, string sequence numbers."""

    name = "twilio"

    def __init__(self, call: CallIdentity) -> None:
        super().__init__(call)
        self.stream_sid = "MZ" + uuid.uuid4().hex
        self.account_sid = "AC" + "0" * 32
        self.chunk = 0

    def _base(self, event: str) -> dict[str, Any]:
        return {"event": event, "sequenceNumber": str(self._next()), "streamSid": self.stream_sid}

    def opening(self) -> list[str]:
        connected = {"event": "connected", "protocol": "Call", "version": "1.0.0"}
        start = self._base("start") | {
            "start": {
                "accountSid": self.account_sid,
                "streamSid": self.stream_sid,
                "callSid": self.call.call_id,
                "tracks": ["inbound"],
                "customParameters": self.call.custom(),
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            }
        }
        return [json.dumps(connected), json.dumps(start)]

    def media(self, pcm: np.ndarray) -> str:
        self.chunk += 1
        payload = base64.b64encode(ulaw_encode(pcm)).decode("ascii")
        media = {
            "track": "inbound",
            "chunk": str(self.chunk),
            "timestamp": str((self.chunk - 1) * 20),
            "payload": payload,
        }
        return json.dumps(self._base("media") | {"media": media})

    def hangup(self, reason: str) -> str:
        stop = {"accountSid": self.account_sid, "callSid": self.call.call_id}
        return json.dumps(self._base("stop") | {"stop": stop})

    def mark_played(self, name: str) -> str:
        return json.dumps(self._base("mark") | {"mark": {"name": name}})

    def decode(self, payload: str) -> np.ndarray:
        return ulaw_decode(base64.b64decode(payload, validate=True))


class DiallerClient(CarrierClient):
    """docs/dialler-protocol.md: linear16 8 kHz, a single start message, no marks."""

    name = "dialler"

    def opening(self) -> list[str]:
        start: dict[str, Any] = {
            "event": "start",
            "call_id": self.call.call_id,
            "from": self.call.from_,
            "to": self.call.to,
            "media_format": {"encoding": "linear16", "sample_rate": RATE, "channels": 1},
        }
        if self.call.bot:
            start["bot"] = self.call.bot
        return [json.dumps(start)]

    def media(self, pcm: np.ndarray) -> str:
        return json.dumps({"event": "media", "seq": self._next(), "payload": pcm_b64(pcm)})

    def hangup(self, reason: str) -> str:
        return json.dumps({"event": "hangup", "reason": reason})

    def decode(self, payload: str) -> np.ndarray:
        return pcm_decode(payload)


def client_for(carrier: str, call: CallIdentity) -> CarrierClient:
    clients: dict[str, type[CarrierClient]] = {
        "exotel": ExotelClient,
        "twilio": TwilioClient,
        "dialler": DiallerClient,
    }
    if carrier not in clients:
        raise ValueError(f"unknown carrier {carrier!r}: use one of {', '.join(CARRIERS)}")
    return clients[carrier](call)


def new_call_id(carrier: str) -> str:
    """An id shaped like the carrier's own (Twilio call SIDs are CA + 32 hex)."""
    return {"twilio": "CA", "exotel": ""}.get(carrier, "lab-") + uuid.uuid4().hex
