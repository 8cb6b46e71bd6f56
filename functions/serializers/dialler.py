"""The generic dialler WebSocket protocol (docs/dialler-protocol.md) as a Pipecat serializer.

Diallers that are neither Exotel nor Twilio speak this small JSON protocol. The serializer
follows the shape of Pipecat's carrier serializers: pure, no I/O. It drops what it cannot
decode with a warning; the route's protocol guard has already ended the call for anything
malformed, so this is a second line of defence, not the policy.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Literal

from loguru import logger
from pipecat.audio.dtmf.types import KeypadEntry
from pipecat.audio.utils import create_stream_resampler
from pipecat.frames.frames import (
    AudioRawFrame,
    CancelWorkerFrame,
    Frame,
    InputAudioRawFrame,
    InputDTMFFrame,
    InterruptionFrame,
)
from pipecat.processors.frame_processor import FrameProcessorSetup
from pipecat.serializers.base_serializer import FrameSerializer
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from functions.carriers.base import CLOSE_POLICY, CLOSE_UNSUPPORTED, ProtocolViolation

MAX_MEDIA_SECONDS = 1.0
DTMF_DIGITS = frozenset("0123456789*#ABCD")


class DiallerMediaFormat(BaseModel):
    """Only what the pipeline can take without transcoding: mono 16-bit PCM at 8 or 16 kHz."""

    encoding: Literal["linear16"]
    sample_rate: Literal[8000, 16000]
    channels: Literal[1] = 1


class DiallerStart(BaseModel):
    """The first message of a dialler call; the route answers nothing until it validates."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    event: Literal["start"]
    call_id: Annotated[str, Field(min_length=1, max_length=128)]
    from_: Annotated[str, Field(alias="from", max_length=64)] = ""
    to: Annotated[str, Field(max_length=64)] = ""
    bot: Annotated[str | None, Field(max_length=128)] = None
    media_format: DiallerMediaFormat

    @classmethod
    def from_message(cls, raw: object) -> DiallerStart:
        """Validate a decoded start message; the violation says which field and why.

        A media format we do not take is "unsupported data" (1003); any other defect (wrong
        event, missing ``call_id``) is a policy violation (1008).
        """
        if not isinstance(raw, dict) or raw.get("event") != "start":
            raise ProtocolViolation(
                CLOSE_POLICY, 'the first message must be {"event": "start", ...}'
            )
        try:
            return cls.model_validate(raw)
        except ValidationError as error:
            errors = error.errors()
            problems = "; ".join(_describe(e) for e in errors)
            if all(e["type"] == "literal_error" and e["loc"][0] == "media_format" for e in errors):
                raise ProtocolViolation(
                    CLOSE_UNSUPPORTED,
                    f"{problems} (accepted: linear16, 8000 or 16000 Hz, 1 channel)",
                ) from error
            raise ProtocolViolation(CLOSE_POLICY, problems) from error


def _describe(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "start"
    got = "" if error["type"] == "missing" else f" (got {error['input']!r:.60})"
    return f"{where}: {error['msg']}{got}"


class DiallerFrameSerializer(FrameSerializer):
    """Pipecat frames <-> dialler protocol messages for one call.

    Caller audio is resampled from the dialler's rate to the pipeline's, bot audio the
    other way; barge-in (``InterruptionFrame``) becomes ``clear``. A dialler ``hangup``
    becomes ``CancelWorkerFrame``: the caller is gone, so nothing queued is worth flushing
    and the worker cancels the pipeline at once (Pipecat's carrier serializers have no
    inbound hang-up; the worker turns this frame into a ``CancelFrame``). End and cancel
    frames serialize to nothing: the route sends ``hangup`` and closes the socket.
    """

    class InputParams(FrameSerializer.InputParams):
        """``dialler_sample_rate`` comes from the validated start; ``sample_rate`` overrides
        the pipeline's input rate."""

        dialler_sample_rate: int = 8000
        sample_rate: int | None = None

    def __init__(self, call_id: str, params: InputParams | None = None) -> None:
        params = params or DiallerFrameSerializer.InputParams()
        super().__init__(params)
        self._params: DiallerFrameSerializer.InputParams = params
        self._call_id = call_id
        self._dialler_rate = params.dialler_sample_rate
        self._sample_rate = params.sample_rate or 0  # the pipeline's input rate, set in setup
        self._input_resampler = create_stream_resampler(
            clear_after_secs=params.resampler_clear_after_secs
        )
        self._output_resampler = create_stream_resampler(
            clear_after_secs=params.resampler_clear_after_secs
        )

    @property
    def call_id(self) -> str:
        return self._call_id

    # Pipecat's FrameSerializer narrows BaseObject.setup to this signature; we follow it.
    async def setup(self, setup: FrameProcessorSetup) -> None:  # type: ignore[override]
        self._sample_rate = self._params.sample_rate or setup.audio_in_sample_rate

    async def serialize(self, frame: Frame) -> str | bytes | None:
        if isinstance(frame, InterruptionFrame):
            return json.dumps({"event": "clear"})
        if isinstance(frame, AudioRawFrame):
            audio = await self._output_resampler.resample(
                frame.audio, frame.sample_rate, self._dialler_rate
            )
            if not audio:
                return None
            payload = base64.b64encode(audio).decode("ascii")
            return json.dumps({"event": "media", "payload": payload})
        return None

    async def deserialize(self, data: str | bytes) -> Frame | None:
        message = self._decode(data)
        if message is None:
            return None
        event = message.get("event")
        if event == "media":
            return await self._media(message)
        if event == "dtmf":
            return self._dtmf(message)
        if event == "hangup":
            reason = message.get("reason")
            return CancelWorkerFrame(reason=f"dialler hangup: {reason or 'no reason given'}")
        logger.warning(f"dialler {self._call_id}: ignoring event {event!r}")
        return None

    def _decode(self, data: str | bytes) -> dict[str, Any] | None:
        if isinstance(data, bytes):
            logger.warning(f"dialler {self._call_id}: ignoring a binary frame ({len(data)} B)")
            return None
        try:
            message = json.loads(data)
        except json.JSONDecodeError:
            logger.warning(f"dialler {self._call_id}: ignoring a message that is not JSON")
            return None
        if not isinstance(message, dict):
            logger.warning(f"dialler {self._call_id}: ignoring a message that is not an object")
            return None
        return message

    async def _media(self, message: dict[str, Any]) -> Frame | None:
        payload = message.get("payload")
        if not isinstance(payload, str) or not payload:
            logger.warning(f"dialler {self._call_id}: media without a payload")
            return None
        try:
            audio = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            logger.warning(f"dialler {self._call_id}: media payload is not base64")
            return None
        max_bytes = int(self._dialler_rate * 2 * MAX_MEDIA_SECONDS)
        if len(audio) % 2 or len(audio) > max_bytes:
            logger.warning(
                f"dialler {self._call_id}: media of {len(audio)} B is not PCM16 of at most "
                f"{MAX_MEDIA_SECONDS:g} s"
            )
            return None
        resampled = await self._input_resampler.resample(
            audio, self._dialler_rate, self._sample_rate
        )
        if not resampled:
            return None
        return InputAudioRawFrame(audio=resampled, num_channels=1, sample_rate=self._sample_rate)

    def _dtmf(self, message: dict[str, Any]) -> Frame | None:
        digit = message.get("digit")
        if not isinstance(digit, str) or digit not in DTMF_DIGITS:
            logger.warning(f"dialler {self._call_id}: invalid DTMF digit {digit!r}")
            return None
        try:
            return InputDTMFFrame(KeypadEntry(digit))
        except ValueError:  # A-D are valid tones that Pipecat's keypad has no key for
            logger.info(f"dialler {self._call_id}: DTMF {digit} has no Pipecat keypad entry")
            return None
