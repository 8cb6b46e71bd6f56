"""S3 down: the recording waits in the spool and the outbox; once S3 is back it is uploaded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import boto3
import numpy as np
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from lab.local_server import free_port
from shared.audio import wav_bytes
from shared.outbox.store import SqliteOutbox
from shared.outbox.worker import OutboxWorker
from shared.storage import S3RecordingStore, recording_key
from shared.storage.uploads import RECORDING, RecordingUploadSink, spool_recording

WAV = wav_bytes(np.zeros((1600, 2), dtype=np.int16), 8000)
KEY = recording_key("acme", "support-desk", datetime(2026, 11, 21, tzinfo=UTC), "call-9")


async def test_upload_completes_once_storage_is_back(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    keys = {"access_key": SecretStr("AKIATEST"), "secret_key": SecretStr("test-secret")}
    store = S3RecordingStore("recordings", endpoint_url=url, connect_timeout_s=0.5, **keys)
    outbox = SqliteOutbox(tmp_path / "outbox.sqlite")
    worker = OutboxWorker(outbox, RecordingUploadSink(store), base_delay_s=0.01)
    payload = spool_recording(tmp_path / "spool", "call-9", KEY, WAV, {"call_id": "call-9"})
    outbox.enqueue(RECORDING, "recording:call-9", payload)

    await worker.run_once()  # S3 is not there: the message waits, the spooled WAV stays
    (message,) = outbox.list()
    assert message.state == "pending" and message.attempts == 1
    assert Path(payload["spool"]).exists()

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        s3 = boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="AKIATEST",
            aws_secret_access_key="test-secret",
        )
        s3.create_bucket(Bucket="recordings")
        await worker.run_once(now=message.next_attempt_at + 1)
        assert outbox.list()[0].state == "delivered"
        assert s3.get_object(Bucket="recordings", Key=KEY)["Body"].read() == WAV
        assert not Path(payload["spool"]).exists()
    finally:
        server.stop()
        outbox.close()


async def test_a_refused_upload_is_dead_lettered_and_keeps_its_file(tmp_path: Path) -> None:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        store = S3RecordingStore(
            "no-such-bucket",
            endpoint_url=f"http://127.0.0.1:{port}",
            access_key=SecretStr("AKIATEST"),
            secret_key=SecretStr("test-secret"),
        )
        outbox = SqliteOutbox(tmp_path / "outbox.sqlite")
        payload = spool_recording(tmp_path / "spool", "call-9", KEY, WAV, {})
        outbox.enqueue(RECORDING, "recording:call-9", payload)
        await OutboxWorker(outbox, RecordingUploadSink(store)).run_once()
        (message,) = outbox.list()
        assert message.state == "dead" and "NoSuchBucket" in (message.last_error or "")
        assert Path(payload["spool"]).exists()  # kept for a replay once the bucket exists
        outbox.close()
    finally:
        server.stop()
