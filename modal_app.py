"""VoxCore on Modal: two images, the media endpoint, the per-call agent and the outbox drain.

``make deploy`` (``modal deploy modal_app.py``); what to create first and which URL goes where:
docs/deploy.md. Importing this module declares only: no credentials, no network, no Pipecat.

- ``Media``: the local server's app (``functions.app.create_app``) behind ``@modal.asgi_app``:
  carriers' media WebSockets, Twilio's voice webhook, the LiveKit and attach routes. A
  container takes ``MAX_CONCURRENT_CALLS`` inputs at once, the calls it can carry.
- ``Agent``: one LiveKit room call per container, spawned by those routes once per call id.
- ``drain_outbox``: every minute, delivers what no call container is left to deliver.
Both call functions start from memory snapshots taken with every model loaded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import modal

from functions.modal.bake import bake_command
from functions.modal.config import CALL_TIMEOUT_S, DeployConfig

ROOT = Path(__file__).resolve().parent
CONFIG = DeployConfig.from_env(os.environ)
PYTHON = "3.11"
UV_VERSION = "0.13.8"  # the Makefile's
AGENT_RETRIES = 2  # only ever used before a call talks (functions/modal/rooms.py)
# What the drain imports (tests/test_modal_app.py proves it needs nothing more).
LIGHT_PACKAGES = ("boto3", "httpx", "loguru", "pydantic", "pydantic-settings", "redis")


def _not_source(path: Path) -> bool:
    return "__pycache__" in path.parts or path.suffix == ".pyc"


def light_pins() -> list[str]:
    """The light image's packages at their locked versions. Containers import this module too,
    where the image is built already and uv.lock is not there: nothing to compute then."""
    if not modal.is_local():
        return []
    from functions.modal.lock import lock_pins

    return lock_pins(ROOT / "uv.lock", LIGHT_PACKAGES)


agent_image = (
    modal.Image.debian_slim(python_version=PYTHON)
    .uv_sync(str(ROOT), extra_options="--no-default-groups", uv_version=UV_VERSION)
    .run_commands(bake_command())
    .add_local_python_source("functions", "shared", ignore=_not_source)
)
light_image = (
    modal.Image.debian_slim(python_version=PYTHON)
    .uv_pip_install(*light_pins(), uv_version=UV_VERSION)
    .add_local_python_source("functions", "shared", ignore=_not_source)
)

# Each holds environment variables by Settings' names (docs/deploy.md lists them).
providers = modal.Secret.from_name("voxcore-providers")  # provider keys, URLs, tool secrets
bridge = modal.Secret.from_name("voxcore-bridge")  # bridge URL, token, signing secret
carriers = modal.Secret.from_name("voxcore-carriers")  # media token, Twilio, attach secret
livekit = modal.Secret.from_name("voxcore-livekit")  # LiveKit URL, API key and secret
storage = modal.Secret.from_name("voxcore-storage")  # recordings bucket and S3 keys

app = modal.App(CONFIG.app_name)


async def spawn_agent(payload: dict[str, Any]) -> str:
    """Start ``Agent.run_call`` in a container of its own; the FunctionCall's id."""
    call = await Agent().run_call.spawn.aio(payload)
    return str(call.object_id)


@app.cls(
    image=agent_image,
    secrets=[providers, bridge, carriers, livekit, storage],
    env=CONFIG.container_env,
    cpu=2.0,
    memory=2048,
    timeout=CALL_TIMEOUT_S,
    enable_memory_snapshot=True,
    min_containers=CONFIG.media.min_containers,
    buffer_containers=CONFIG.media.buffer_containers,
    scaledown_window=CONFIG.media.scaledown_window,
    region=CONFIG.region,
)
@modal.concurrent(max_inputs=CONFIG.calls_per_container)
class Media:
    @modal.enter(snap=True)
    def load(self) -> None:
        from functions.modal.containers import preload
        from shared.settings import Settings

        self.load_seconds = preload(Settings())

    @modal.enter(snap=False)
    def start(self) -> None:
        from functions.modal.containers import media_app
        from shared.settings import Settings

        self.app = media_app(Settings(), spawn_agent, self.load_seconds)

    @modal.asgi_app()
    def web(self) -> Any:
        return self.app


@app.cls(
    image=agent_image,
    secrets=[providers, bridge, livekit, storage],
    env=CONFIG.container_env,
    cpu=1.0,
    memory=1024,
    timeout=CALL_TIMEOUT_S,
    enable_memory_snapshot=True,
    single_use_containers=True,  # one call per container (what max_inputs=1 was)
    retries=modal.Retries(
        max_retries=AGENT_RETRIES, backoff_coefficient=1.0, initial_delay=0.0, max_delay=1.0
    ),
    min_containers=CONFIG.agent.min_containers,
    buffer_containers=CONFIG.agent.buffer_containers,
    scaledown_window=CONFIG.agent.scaledown_window,
    region=CONFIG.region,
)
class Agent:
    @modal.enter(snap=True)
    def load(self) -> None:
        from functions.modal.containers import preload
        from shared.settings import Settings

        self.load_seconds = preload(Settings())

    @modal.enter(snap=False)
    def start(self) -> None:
        from functions.modal.containers import agent_state, call_registry
        from shared.settings import Settings

        settings = Settings()
        self.state = agent_state(settings, self.load_seconds)
        self.calls = call_registry(settings)

    @modal.method()
    async def run_call(self, payload: dict[str, Any]) -> str:
        """One room call (a ``RoomCallRequest``'s JSON); returns how it ended."""
        from functions.modal.containers import flush
        from functions.modal.rooms import run_agent_call

        try:
            return await run_agent_call(self.state, payload, self.calls, attempts=AGENT_RETRIES + 1)
        finally:
            await flush(self.state)

    @modal.exit()
    async def stop(self) -> None:
        await self.state.close()


@app.function(
    image=light_image,
    secrets=[bridge, storage],
    env=CONFIG.container_env,
    cpu=0.25,
    memory=512,
    timeout=120,
    max_containers=1,
    schedule=modal.Period(seconds=CONFIG.drain_every_s),
    region=CONFIG.region,
)
async def drain_outbox() -> dict[str, Any]:
    """Deliver due results, handoffs and orphaned recordings; repair the outbox's index."""
    from functions.modal.drain import drain_outbox as drain
    from shared.settings import Settings

    return await drain(Settings(), budget_s=90.0)
