"""LiveKit's server API as VoxCore uses it: rooms, SIP dial-out, participant tokens.

All of it goes through ``livekit-api`` (Twirp with protobuf bodies), one short-lived client
per operation so nothing holds an aiohttp session across event loops or processes. The API
secret only ever signs tokens; it is never logged nor put in an error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
from livekit import api
from loguru import logger
from pydantic import SecretStr

from shared.settings import Settings

SAMPLE_RATE = 16000  # LiveKit rooms carry wideband audio; the pipeline runs at 16 kHz
BOT_TOKEN_TTL = timedelta(hours=2)  # checked when the bot joins; a long call keeps its seat
WIDGET_TOKEN_TTL = timedelta(minutes=10)
RING_TIMEOUT_S = 45
API_TIMEOUT_S = 10.0
# How long an emptied room lingers; a SIP caller who never arrives frees it.
EMPTY_TIMEOUT_S = 120

NOT_CONFIGURED = (
    "Telephony worker not configured — call remains queued. "
    "Set LIVEKIT_* and carrier credentials in .env."
)


class LiveKitUnavailableError(Exception):
    """LiveKit's API failed or could not be reached; the text names no secret."""


@dataclass(frozen=True)
class LiveKit:
    url: str
    api_key: str
    api_secret: SecretStr
    outbound_trunk_id: str | None = None

    def __repr__(self) -> str:
        return f"LiveKit(url={self.url!r}, api_key={self.api_key!r})"

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveKit | None:
        """None unless URL, key and secret are all set."""
        if not (settings.livekit_url and settings.livekit_api_key and settings.livekit_api_secret):
            return None
        return cls(
            settings.livekit_url,
            settings.livekit_api_key,
            settings.livekit_api_secret,
            settings.livekit_sip_outbound_trunk_id,
        )

    def token(
        self,
        room: str,
        identity: str,
        *,
        ttl: timedelta = BOT_TOKEN_TTL,
        name: str = "",
        attributes: dict[str, str] | None = None,
    ) -> str:
        """A participant token that joins ``room`` and no other."""
        grants = api.VideoGrants(
            room_join=True, room=room, can_publish=True, can_subscribe=True, can_publish_data=True
        )
        token = api.AccessToken(self.api_key, self.api_secret.get_secret_value())
        token.with_identity(identity).with_name(name or identity).with_grants(grants)
        token.with_ttl(ttl).with_attributes(attributes or {})
        return token.to_jwt()

    @asynccontextmanager
    async def api(self) -> AsyncIterator[api.LiveKitAPI]:
        timeout = aiohttp.ClientTimeout(total=API_TIMEOUT_S)
        client = api.LiveKitAPI(
            self.url,
            self.api_key,
            self.api_secret.get_secret_value(),
            timeout=timeout,
            failover=False,
        )
        try:
            yield client
        finally:
            await client.aclose()

    async def create_room(self, name: str, metadata: str = "") -> None:
        request = api.CreateRoomRequest(name=name, empty_timeout=EMPTY_TIMEOUT_S, metadata=metadata)
        try:
            async with self.api() as client:
                await client.room.create_room(request)
        except (api.ServerError, aiohttp.ClientError, TimeoutError) as error:
            raise LiveKitUnavailableError(f"create room: {describe(error)}") from None

    async def delete_room(self, name: str) -> None:
        """Best effort: a room left behind still closes itself when empty."""
        try:
            async with self.api() as client:
                await client.room.delete_room(api.DeleteRoomRequest(room=name))
        except (api.ServerError, aiohttp.ClientError, TimeoutError) as error:
            logger.warning(f"livekit: room {name} not deleted: {describe(error)}")

    async def dial(self, room: str, to: str, caller_id: str, identity: str) -> None:
        """Call ``to`` from ``caller_id`` into ``room``; returns once answered.

        Raises ``livekit.api.SipCallError`` (busy, no answer, rejected: the SIP status is in
        it) or ``LiveKitUnavailableError``.
        """
        if not self.outbound_trunk_id:
            raise LiveKitUnavailableError("LIVEKIT_SIP_OUTBOUND_TRUNK_ID is not set")
        request = api.CreateSIPParticipantRequest(
            sip_trunk_id=self.outbound_trunk_id,
            sip_call_to=to,
            sip_number=caller_id,
            room_name=room,
            participant_identity=identity,
            participant_name=to,
            wait_until_answered=True,
        )
        request.ringing_timeout.seconds = RING_TIMEOUT_S
        try:
            async with self.api() as client:
                await client.sip.create_sip_participant(request)
        except api.SipCallError:
            raise
        except (api.ServerError, aiohttp.ClientError, TimeoutError) as error:
            raise LiveKitUnavailableError(f"dial: {describe(error)}") from None


def describe(error: BaseException) -> str:
    """A status and code, never a URL with credentials nor a response body."""
    if isinstance(error, api.ServerError):
        return f"HTTP {error.status} {error.code}"
    return type(error).__name__
