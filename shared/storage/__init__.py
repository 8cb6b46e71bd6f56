"""Call recordings to S3-compatible storage or a local directory.

``store_from_settings`` picks one from plain values (an S3 bucket if one is named, else the
directory), so settings stay the caller's business.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from shared.storage.base import (
    RecordingStore,
    StorageError,
    StorageRejected,
    StorageUnavailable,
    recording_key,
)
from shared.storage.local import LocalRecordingStore
from shared.storage.s3 import S3RecordingStore

__all__ = [
    "LocalRecordingStore",
    "RecordingStore",
    "S3RecordingStore",
    "StorageError",
    "StorageRejected",
    "StorageUnavailable",
    "recording_key",
    "store_from_settings",
]


def store_from_settings(
    *,
    directory: Path,
    bucket: str | None = None,
    endpoint_url: str | None = None,
    region: str = "us-east-1",
    access_key: SecretStr | None = None,
    secret_key: SecretStr | None = None,
    prefix: str = "",
) -> RecordingStore:
    """S3 when a bucket is configured, otherwise ``directory`` (the no-keys laptop default)."""
    if bucket:
        return S3RecordingStore(
            bucket,
            endpoint_url=endpoint_url,
            region=region,
            access_key=access_key,
            secret_key=secret_key,
            prefix=prefix,
        )
    return LocalRecordingStore(directory)
