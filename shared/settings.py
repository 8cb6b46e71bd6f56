"""Process settings from the environment (``VOXCORE_*``, plus the few names carriers document)."""

from __future__ import annotations

import ipaddress
from functools import cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_BOTS_DIR = Path(__file__).parent / "config" / "bots"


class Settings(BaseSettings):
    """Everything a process needs; secrets are ``SecretStr`` so they never print."""

    model_config = SettingsConfigDict(env_prefix="VOXCORE_", env_file=".env", extra="ignore")

    bots_dir: Path = DEFAULT_BOTS_DIR
    data_dir: Path = Path("var")
    max_concurrent_calls: int = Field(
        8, ge=1, validation_alias="MAX_CONCURRENT_CALLS", description="call slots per process"
    )
    media_token: SecretStr | None = Field(
        None, description="shared secret carriers present on media sockets (?token= or Bearer)"
    )
    twilio_auth_token: SecretStr | None = Field(None, validation_alias="TWILIO_AUTH_TOKEN")
    public_url: str | None = Field(None, description="https://host the carriers reach us at")
    handshake_timeout_s: float = Field(10.0, gt=0)
    bridge_url: str | None = Field(None, description="the bridge's base URL; unset: YAML bots")
    bridge_token: SecretStr | None = Field(None, description="Bearer token for the bridge")
    bridge_secret: SecretStr | None = Field(
        None, description="signs call results sent to the bridge (docs/results-delivery.md)"
    )
    recordings_bucket: str | None = Field(None, description="S3 bucket; unset: data_dir")
    s3_endpoint_url: str | None = Field(None, description="MinIO, Spaces, ...; unset: AWS")
    s3_region: str = "us-east-1"
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    bridge_timeout_s: float = Field(2.0, gt=0)
    bridge_ttl_s: float = Field(30.0, ge=0)
    bridge_stale_if_error_s: float = Field(3600.0, ge=0)
    max_message_bytes: int = Field(64 * 1024, ge=1024)
    # A URL may carry a password: SecretStr, and only host:port is ever logged.
    tracker_url: SecretStr | None = Field(
        None,
        description="redis://... shares MAX_CONCURRENT_CALLS across processes; unset: in-process",
    )
    tracker_lease_s: float = Field(
        30.0, gt=0, description="a slot of a process that died without releasing expires after this"
    )
    outbox_lease_s: float = Field(
        60.0, gt=0, description="a delivery cut off by a crash is retried after this"
    )
    # Cloud providers (shared/providers/credentials.py): keys and endpoints by provider name,
    # or "tenant/name" for one tenant's own; a bot config never carries either.
    provider_keys: dict[str, SecretStr] = Field(
        default_factory=dict, description='JSON: {"openai": "sk-...", "acme/deepgram": "..."}'
    )
    provider_urls: dict[str, str] = Field(
        default_factory=dict, description='JSON: {"openai": "http://vllm:8000/v1"}'
    )
    # Webhook tools (docs/bot-config.md): public addresses only unless opened here.
    webhook_allow_private: bool = False
    webhook_allowed_networks: list[str] = Field(
        default_factory=list, description='JSON list of CIDRs webhooks may reach: ["10.0.0.0/8"]'
    )
    tool_secrets: dict[str, SecretStr] = Field(
        default_factory=dict, description="JSON: secret name -> value, for webhook secret_headers"
    )

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _networks(cls, networks: list[str]) -> list[str]:
        for network in networks:
            ipaddress.ip_network(network, strict=False)  # ValueError names the bad entry
        return networks

    # LiveKit rooms and SIP (functions/livekit/, docs/livekit.md); unset: those routes refuse.
    livekit_url: str | None = Field(None, validation_alias="LIVEKIT_URL")
    livekit_api_key: str | None = Field(None, validation_alias="LIVEKIT_API_KEY")
    livekit_api_secret: SecretStr | None = Field(None, validation_alias="LIVEKIT_API_SECRET")
    livekit_sip_outbound_trunk_id: str | None = Field(
        None, validation_alias="LIVEKIT_SIP_OUTBOUND_TRUNK_ID"
    )
    livekit_agent_prefix: str = Field(
        "agent-", description="identity prefix of Agent Desk agents joining a handed-off room"
    )
    livekit_api_token: SecretStr | None = Field(
        None, description="Bearer token for POST /livekit/outbound (else VOXCORE_MEDIA_TOKEN)"
    )
    attach_secret: SecretStr | None = Field(
        None, description="HMAC secret diallers sign POST /attach with; unset: attach refused"
    )
    widget_bots: list[str] = Field(
        default_factory=list, description="JSON list of bot ids the web widget may start"
    )
    widget_origins: list[str] = Field(
        default_factory=list,
        description="JSON list of web origins whose pages may call POST /livekit/widget (CORS)",
    )

    # Shared state on Modal (docs/deploy.md): names of modal.Dicts every container shares.
    # VOXCORE_TRACKER_URL (Redis) wins over tracker_dict; unset: in-process slots, SQLite outbox.
    tracker_dict: str | None = Field(None, description="modal.Dict holding the call slots")
    outbox_dict: str | None = Field(
        None, description="modal.Dict holding the outbox (its index: the same name + '-index')"
    )
    calls_dict: str | None = Field(
        None, description="modal.Dict recording spawned calls: idempotency, attempts, talking"
    )


@cache
def get_settings() -> Settings:
    return Settings()
