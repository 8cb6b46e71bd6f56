"""Checks on carrier media payloads shared by every protocol."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from functions.carriers.base import CLOSE_INVALID_PAYLOAD, CLOSE_TOO_BIG, ProtocolViolation

# One media message carries at most a second of 16 kHz PCM16: anything bigger is not a frame.
MAX_MEDIA_BYTES = 32000


def check_base64_audio(payload: Any, *, bytes_per_sample: int) -> None:
    if not isinstance(payload, str):
        raise ProtocolViolation(CLOSE_INVALID_PAYLOAD, "media without a base64 'payload'")
    if len(payload) > MAX_MEDIA_BYTES * 4 // 3 + 4:
        raise ProtocolViolation(CLOSE_TOO_BIG, "media payload over 1 s of audio")
    try:
        audio = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolViolation(CLOSE_INVALID_PAYLOAD, "media payload is not base64") from None
    if len(audio) % bytes_per_sample:
        raise ProtocolViolation(CLOSE_INVALID_PAYLOAD, "media payload is not whole samples")
