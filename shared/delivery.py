"""Where the outbox delivers each kind of message, chosen by settings.

One choice for the server and for Modal's scheduled drain (whose light image has no Pipecat,
so this module imports none): results and handoffs to the bridge, signed, when one is
configured (else to local JSONL files), recordings to their store.
"""

from __future__ import annotations

from shared.handoff import HANDOFF
from shared.outbox.sinks import HttpSink, JsonlSink, RoutingSink, Sink
from shared.results import CALL_RESULT
from shared.settings import Settings
from shared.storage import RecordingStore, store_from_settings
from shared.storage.uploads import RECORDING, RecordingUploadSink


def bridge_sink(settings: Settings, what: str, file: str | None = None) -> Sink:
    """``POST {bridge}/v1/<what>`` (signed) when a bridge is configured, else a JSONL file."""
    if settings.bridge_url and settings.bridge_secret:
        return HttpSink(f"{settings.bridge_url.rstrip('/')}/v1/{what}", settings.bridge_secret)
    return JsonlSink(settings.data_dir / (file or f"{what}.jsonl"))


def recording_store(settings: Settings) -> RecordingStore:
    """S3-compatible storage when a bucket is configured, else ``data_dir/recordings``."""
    return store_from_settings(
        directory=settings.data_dir / "recordings",
        bucket=settings.recordings_bucket,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
    )


def delivery_sink(settings: Settings, recordings: RecordingStore | None = None) -> RoutingSink:
    return RoutingSink(
        {
            CALL_RESULT: bridge_sink(settings, "call-results", "results.jsonl"),
            HANDOFF: bridge_sink(settings, "handoffs"),
            RECORDING: RecordingUploadSink(recordings or recording_store(settings)),
        }
    )
