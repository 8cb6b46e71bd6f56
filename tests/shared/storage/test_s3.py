"""The S3 store against a real S3 protocol server (moto) and against broken endpoints.

Down, slow, throttling and refusing servers must map to StorageUnavailable / StorageRejected
quickly, and no error or log line may carry the credentials.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from loguru import logger
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from lab.local_server import free_port
from shared.audio import wav_bytes
from shared.storage import (
    S3RecordingStore,
    StorageError,
    StorageRejected,
    StorageUnavailable,
    recording_key,
)

ACCESS = "AKIACANARYACCESS7Q2X"
SECRET = "canary-secret-9f8e7d6c5b4a3210zyxw"
WAV = wav_bytes(__import__("numpy").zeros((800, 2), dtype="int16"), 8000)
KEY = recording_key("acme", "bot-1", datetime(2026, 3, 9, 12, tzinfo=UTC), "call-42")
META = {"call-id": "call-42", "tenant": "acme", "bot-id": "bot-1"}


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def client(url: str) -> object:
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=ACCESS,
        aws_secret_access_key=SECRET,
    )


def store(url: str, bucket: str, **options: object) -> S3RecordingStore:
    return S3RecordingStore(
        bucket,
        endpoint_url=url,
        access_key=SecretStr(ACCESS),
        secret_key=SecretStr(SECRET),
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def captured_logs(caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """Everything logged through loguru and stdlib logging (INFO and up) during the test."""
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(str(message)), level="DEBUG")
    caplog.set_level(logging.INFO)
    yield lines
    logger.remove(sink)
    lines.extend(record.getMessage() for record in caplog.records)


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        assert ACCESS not in text
        assert SECRET not in text


async def test_a_recording_round_trips_with_its_metadata_and_layout(s3_url: str) -> None:
    s3 = client(s3_url)
    s3.create_bucket(Bucket="calls")  # type: ignore[attr-defined]

    location = await store(s3_url, "calls", prefix="recordings/").put(KEY, WAV, META)

    full_key = "recordings/acme/bot-1/2026/03/09/call-42.wav"
    assert location == f"s3://calls/{full_key}"
    got = s3.get_object(Bucket="calls", Key=full_key)  # type: ignore[attr-defined]
    assert got["Body"].read() == WAV
    assert got["ContentType"] == "audio/wav"
    assert got["Metadata"] == META
    listed = s3.list_objects_v2(Bucket="calls")  # type: ignore[attr-defined]
    assert [item["Key"] for item in listed["Contents"]] == [full_key]


async def test_metadata_values_outside_ascii_are_stored_encoded(s3_url: str) -> None:
    s3 = client(s3_url)
    s3.create_bucket(Bucket="unicode")  # type: ignore[attr-defined]
    await store(s3_url, "unicode").put("t/b/c.wav", WAV, {"Bot Name": "Priyā"})
    got = s3.head_object(Bucket="unicode", Key="t/b/c.wav")  # type: ignore[attr-defined]
    assert got["Metadata"] == {"bot-name": "Priy%C4%81"}


async def test_a_missing_bucket_is_rejected(s3_url: str, captured_logs: list[str]) -> None:
    with pytest.raises(StorageRejected, match="NoSuchBucket") as caught:
        await store(s3_url, "no-such-bucket").put(KEY, WAV, META)
    assert "s3://no-such-bucket/acme/bot-1/2026/03/09/call-42.wav" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert_no_secrets(str(caught.value), repr(caught.value), *captured_logs)


async def test_s3_down_is_unavailable_quickly(captured_logs: list[str]) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(StorageUnavailable, match="EndpointConnectionError") as caught:
        await store(closed, "calls").put(KEY, WAV, META)
    assert time.monotonic() - started < 5
    assert_no_secrets(str(caught.value), *captured_logs)


class ScriptedS3(BaseHTTPRequestHandler):
    """Answers every PUT with one status and error code; echoes the Authorization header back
    in the message, as some servers do for signature errors, to prove the store redacts it."""

    protocol_version = "HTTP/1.1"  # answers botocore's "Expect: 100-continue" at once
    status = 503
    code = "SlowDown"
    hang_s = 0.0

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(self.hang_s)
        echoed = f"{self.headers.get('Authorization')} secret={SECRET}"
        body = f"<Error><Code>{self.code}</Code><Message>{echoed}</Message></Error>".encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A hung answer written after the client gave up fails with a broken pipe: expected."""


def scripted(status: int, code: str, hang_s: float = 0.0) -> Iterator[str]:
    handler = type("Handler", (ScriptedS3,), {"status": status, "code": code, "hang_s": hang_s})
    server = QuietServer(("127.0.0.1", 0), handler)
    server.daemon_threads, server.block_on_close = True, False  # a hung handler must not block
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (503, "SlowDown", StorageUnavailable),
        (500, "InternalError", StorageUnavailable),
        (400, "RequestTimeout", StorageUnavailable),
        (403, "AccessDenied", StorageRejected),
        (403, "SignatureDoesNotMatch", StorageRejected),
    ],
)
async def test_server_errors_are_classified_and_redacted(
    status: int, code: str, kind: type[StorageError], captured_logs: list[str]
) -> None:
    for url in scripted(status, code):
        started = time.monotonic()
        with pytest.raises(kind, match=code) as caught:
            await store(url, "calls").put(KEY, WAV, META)
        assert time.monotonic() - started < 5
        assert "***" in str(caught.value)
        assert_no_secrets(str(caught.value), repr(caught.value), *captured_logs)


async def test_a_server_that_never_answers_is_unavailable_after_the_read_timeout() -> None:
    for url in scripted(200, "", hang_s=3):
        started = time.monotonic()
        with pytest.raises(StorageUnavailable, match="ReadTimeout"):
            await store(url, "calls", read_timeout_s=0.3).put(KEY, WAV, META)
        assert time.monotonic() - started < 3


def test_the_store_repr_shows_no_secrets() -> None:
    assert_no_secrets(repr(store("http://127.0.0.1:9", "calls")))
