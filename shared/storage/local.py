"""Recordings in a local directory: the laptop default, and a fallback when S3 is not set up."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shared.storage.base import StorageRejected, StorageUnavailable, check_key

# Problems with the path itself: the same put will fail the same way next time.
_PERMANENT = (
    errno.EACCES,
    errno.EPERM,
    errno.EISDIR,
    errno.ENOTDIR,
    errno.EROFS,
    errno.ENAMETOOLONG,
)


@dataclass(frozen=True)
class LocalRecordingStore:
    """Writes ``directory/key`` and a ``key.json`` sidecar with the metadata.

    Each file is written to a temporary name beside it and renamed into place, so a reader
    (or a crash) never sees half a recording.
    """

    directory: Path

    def location(self, key: str) -> str:
        return str(self._path(key))

    async def put(self, key: str, wav: bytes, metadata: dict[str, str]) -> str:
        target = self._path(key)
        try:
            await asyncio.to_thread(self._write, target, wav, metadata)
        except OSError as error:
            kind = StorageRejected if error.errno in _PERMANENT else StorageUnavailable
            reason = error.strerror or type(error).__name__
            raise kind(f"local store: cannot write {target}: {reason}") from None
        return str(target)

    def _path(self, key: str) -> Path:
        root = self.directory.resolve()
        target = (root / check_key(key)).resolve()
        if not target.is_relative_to(root):
            raise StorageRejected(f"local store: key {key!r} leaves {root}")
        return target

    @staticmethod
    def _write(target: Path, wav: bytes, metadata: dict[str, str]) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        sidecar = target.with_name(target.name + ".json")
        _atomic_write(sidecar, json.dumps(metadata, sort_keys=True).encode())
        _atomic_write(target, wav)


def _atomic_write(target: Path, data: bytes) -> None:
    """Temp file in the same directory (same filesystem), fsync, then rename over the target."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
