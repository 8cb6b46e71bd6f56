"""A Pipecat pipeline run in the background for a lab worker: started, fed frames, ended.

Every runner drives its provider the way the live path does, inside a pipeline; this is the
one place that starts such a pipeline, waits until it runs, and ends it with an ``EndFrame``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from pipecat.frames.frames import EndFrame, ErrorFrame, Frame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.frame_processor import FrameProcessor
from pipecat.workers.runner import WorkerRunner

START_TIMEOUT_S = 30.0  # to start, to end, and for a queued marker to pass through


class BackgroundPipeline:
    """``processors`` as a pipeline on the running loop; ``on_error`` hears its errors."""

    def __init__(
        self,
        processors: Sequence[FrameProcessor],
        params: PipelineParams,
        on_error: Callable[[str], None],
    ) -> None:
        self.worker = PipelineWorker(
            Pipeline(list(processors)), params=params, enable_rtvi=False, idle_timeout_secs=None
        )
        self._on_error = on_error
        self._started = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.worker.event_handler("on_pipeline_error")(self._error)
        self.worker.event_handler("on_pipeline_started")(self._running)

    async def _error(self, _worker: PipelineWorker, frame: ErrorFrame) -> None:
        self._on_error(frame.error)

    async def _running(self, _worker: PipelineWorker, _frame: Frame) -> None:
        self._started.set()

    async def start(self) -> None:
        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(self.worker)
        self._task = asyncio.create_task(runner.run())
        async with asyncio.timeout(START_TIMEOUT_S):
            await self._started.wait()

    async def stop(self) -> None:
        await self.worker.queue_frame(EndFrame())
        if self._task is not None:
            async with asyncio.timeout(START_TIMEOUT_S):
                await self._task

    async def queue(self, frame: Frame) -> None:
        await self.worker.queue_frame(frame)
