"""Recordings to S3-compatible storage (AWS S3, MinIO, Spaces, R2) through boto3.

boto3 is blocking, so each put runs in a worker thread. The client retries at most once and
gives up fast (short connect/read timeouts): the outbox owns retrying, with its own backoff, and
a call's teardown must not hang on a dead endpoint.
"""

from __future__ import annotations

import asyncio
from dataclasses import KW_ONLY, dataclass, field
from typing import Any
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError
from loguru import logger
from pydantic import SecretStr

from shared.storage.base import StorageRejected, StorageUnavailable, check_key

# Error codes that mean "slow down / try later" even without a 5xx status.
_RETRYABLE_CODES = frozenset(
    {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "ServiceUnavailable"}
)
_ASCII_VISIBLE = "".join(chr(c) for c in range(0x20, 0x7F))


@dataclass
class S3RecordingStore:
    """One bucket (optionally under a key prefix); returns ``s3://bucket/key`` locations."""

    bucket: str
    _: KW_ONLY
    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    prefix: str = ""
    connect_timeout_s: float = 2.0
    read_timeout_s: float = 15.0
    _client: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        config = Config(
            connect_timeout=self.connect_timeout_s,
            read_timeout=self.read_timeout_s,
            retries={"total_max_attempts": 2, "mode": "standard"},
            # Path-style works with every S3-compatible server; virtual hosts need DNS per bucket.
            s3={"addressing_style": "path" if self.endpoint_url else "auto"},
        )
        # No credentials given: boto3's own chain (environment, profile, instance role).
        session = boto3.session.Session(
            aws_access_key_id=self.access_key.get_secret_value() if self.access_key else None,
            aws_secret_access_key=self.secret_key.get_secret_value() if self.secret_key else None,
            region_name=self.region,
        )
        self._client = session.client("s3", endpoint_url=self.endpoint_url, config=config)

    def _full_key(self, key: str) -> str:
        prefix = self.prefix.strip("/")
        return check_key(f"{prefix}/{key}" if prefix else key)

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._full_key(key)}"

    async def put(self, key: str, wav: bytes, metadata: dict[str, str]) -> str:
        full_key = self._full_key(key)
        location = self.location(key)
        try:
            await asyncio.to_thread(
                self._client.put_object,
                Bucket=self.bucket,
                Key=full_key,
                Body=wav,
                ContentType="audio/wav",
                Metadata=_header_safe(metadata),
            )
        except (BotoCoreError, ClientError) as error:
            # Built from the error's code and text, never re-raised as-is (``from None``): the
            # message must be safe to log and to store in a dead letter.
            raise self._classify(error, location) from None
        logger.debug(f"stored recording {location} ({len(wav)} bytes)")
        return location

    def _classify(
        self, error: BotoCoreError | ClientError, location: str
    ) -> StorageUnavailable | StorageRejected:
        if isinstance(error, ClientError):
            info = error.response.get("Error", {})
            code = str(info.get("Code", "Unknown"))
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            detail = f"{code} (HTTP {status}): {info.get('Message', '')}".rstrip(": ")
            retryable = status >= 500 or status == 429 or code in _RETRYABLE_CODES
        else:
            detail = f"{type(error).__name__}: {error}"
            retryable = isinstance(error, (ConnectionError, HTTPClientError))
        kind = StorageUnavailable if retryable else StorageRejected
        return kind(self._redact(f"S3 put {location} via {self._endpoint()} failed: {detail}"))

    def _endpoint(self) -> str:
        return self.endpoint_url or f"AWS ({self.region})"

    def _redact(self, text: str) -> str:
        """Belt and braces: no error text from the server or botocore may carry a key."""
        for secret in (self.access_key, self.secret_key):
            value = secret.get_secret_value() if secret else ""
            if value:
                text = text.replace(value, "***")
        return text


def _header_safe(metadata: dict[str, str]) -> dict[str, str]:
    """S3 metadata travels as HTTP headers: lower-case ASCII keys, printable ASCII values."""
    safe: dict[str, str] = {}
    for name, value in metadata.items():
        header = "".join(c if c.isascii() and (c.isalnum() or c == "-") else "-" for c in name)
        safe[header.lower()] = quote(value, safe=_ASCII_VISIBLE)
    return safe
