"""The call recorder in a real Pipecat pipeline: stereo, the call's rate, tracks aligned in time.

The feeder plays the part of what reaches the recorder after ``transport.output()``: caller
frames every 20 ms from the carrier, and bot frames as the output transport writes them (in real
time, bracketed by Bot{Started,Stopped}SpeakingFrame). Caller and bot say different tones at known
times; the WAV must put each on its own channel at the right offset.
"""

from __future__ import annotations

import asyncio
import io
import wave

import numpy as np
import pytest
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    EndFrame,
    Frame,
    InputAudioRawFrame,
    TTSAudioRawFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.workers.runner import WorkerRunner

from functions.call.recorder import CallRecorder, Recording

FRAME_S = 0.02
CALLER_HZ, BOT_HZ = 300.0, 1000.0
CALLER_SPEAKS = (0.0, 0.6)  # seconds from the start of the call
BOT_SPEAKS = (0.8, 1.4)
CALL_S = 1.6
TOLERANCE_S = 0.04


def tone(hz: float, start_s: float, rate: int) -> bytes:
    n = int(FRAME_S * rate)
    t = start_s + np.arange(n) / rate
    return (np.sin(2 * np.pi * hz * t) * 8000).astype(np.int16).tobytes()


def silence(rate: int) -> bytes:
    return bytes(int(FRAME_S * rate) * 2)


async def feed(worker: PipelineWorker, rate: int) -> None:
    """Queue 20 ms frames on a wall-clock schedule, as a carrier and the output transport do."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for index in range(int(CALL_S / FRAME_S)):
        at = index * FRAME_S
        await asyncio.sleep(max(0.0, start + at - loop.time()))
        frames: list[Frame] = []
        speaking = CALLER_SPEAKS[0] <= at < CALLER_SPEAKS[1]
        audio = tone(CALLER_HZ, at, rate) if speaking else silence(rate)
        frames.append(InputAudioRawFrame(audio=audio, sample_rate=rate, num_channels=1))
        if abs(at - BOT_SPEAKS[0]) < 1e-9:
            frames.append(BotStartedSpeakingFrame())
        if BOT_SPEAKS[0] <= at < BOT_SPEAKS[1]:
            bot = tone(BOT_HZ, at, rate)
            frames.append(TTSAudioRawFrame(audio=bot, sample_rate=rate, num_channels=1))
        if abs(at - BOT_SPEAKS[1]) < 1e-9:
            frames.append(BotStoppedSpeakingFrame())
        await worker.queue_frames(frames)
    await worker.queue_frame(EndFrame())


async def record_call(rate: int) -> tuple[bytes, list[Recording]]:
    delivered: list[Recording] = []

    async def on_recording(recording: Recording) -> None:
        delivered.append(recording)

    recorder = CallRecorder(sample_rate=rate, on_recording=on_recording)
    worker = PipelineWorker(
        Pipeline([recorder.processor]),
        params=PipelineParams(audio_in_sample_rate=rate, audio_out_sample_rate=rate),
        enable_rtvi=False,
        idle_timeout_secs=None,
    )
    feeding: list[asyncio.Task[None]] = []

    @worker.event_handler("on_pipeline_started")
    async def on_started(_worker: PipelineWorker, _frame: Frame) -> None:
        feeding.append(asyncio.create_task(feed(worker, rate)))

    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    await asyncio.wait_for(runner.run(), timeout=10)
    await asyncio.gather(*feeding)
    async with asyncio.timeout(5):
        return await recorder.wav(), delivered


def onset_s(channel: np.ndarray, rate: int) -> float:
    loud = np.flatnonzero(np.abs(channel) > 2000)
    assert len(loud), "no tone found"
    return float(loud[0] / rate)


def dominant_hz(channel: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(channel.astype(np.float64)))
    return float(np.fft.rfftfreq(len(channel), 1 / rate)[np.argmax(spectrum)])


def rms(channel: np.ndarray) -> float:
    return float(np.sqrt(np.mean(channel.astype(np.float64) ** 2))) if len(channel) else 0.0


@pytest.mark.parametrize("rate", [8000, 16000])
async def test_the_call_is_one_stereo_wav_with_caller_left_and_bot_right_in_time(
    rate: int,
) -> None:
    data, delivered = await record_call(rate)

    with wave.open(io.BytesIO(data), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, rate)
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16).reshape(-1, 2)
    caller, bot = samples[:, 0], samples[:, 1]
    assert abs(len(samples) / rate - CALL_S) < 0.1
    assert [r.wav for r in delivered] == [data]
    assert delivered[0].sample_rate == rate

    # Left is the caller, right is the bot: each channel carries its own tone and nothing else.
    start, end = (int(s * rate) for s in CALLER_SPEAKS)
    assert abs(dominant_hz(caller[start:end], rate) - CALLER_HZ) < 10
    assert rms(bot[start:end]) < 1
    b_start, b_end = (int(s * rate) for s in BOT_SPEAKS)
    assert abs(dominant_hz(bot[b_start + rate // 20 : b_end - rate // 20], rate) - BOT_HZ) < 10
    assert rms(caller[b_start + rate // 20 : b_end - rate // 20]) < 1

    # Aligned: each tone starts where it was said, relative to the start of the call.
    assert abs(onset_s(caller, rate) - CALLER_SPEAKS[0]) < TOLERANCE_S
    assert abs(onset_s(bot, rate) - BOT_SPEAKS[0]) < TOLERANCE_S


async def test_a_call_with_no_audio_gives_an_empty_stereo_wav() -> None:
    recorder = CallRecorder(sample_rate=8000)
    worker = PipelineWorker(
        Pipeline([recorder.processor]),
        params=PipelineParams(audio_in_sample_rate=8000, audio_out_sample_rate=8000),
        enable_rtvi=False,
        idle_timeout_secs=None,
    )

    @worker.event_handler("on_pipeline_started")
    async def on_started(_worker: PipelineWorker, _frame: Frame) -> None:
        await worker.queue_frame(EndFrame())

    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    await asyncio.wait_for(runner.run(), timeout=10)

    async with asyncio.timeout(5):
        data = await recorder.wav()
    with wave.open(io.BytesIO(data), "rb") as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getnframes()) == (2, 8000, 0)
    assert recorder.recording is not None and recorder.recording.duration_s == 0


async def test_wav_waits_for_the_end_of_a_call_that_never_ran() -> None:
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await CallRecorder(sample_rate=16000).wav()
