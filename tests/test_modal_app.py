"""The Modal app, without Modal's servers (unreachable from tests): importing it, what each
function would deploy against docs/deploy.md, and its functions run locally (``.local()``) with
the shared ``modal.Dict``s replaced by in-memory STAND-INs (tests/shared/tracker/fake_modal.py).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import modal_app
from functions.livekit.request import RoomCallRequest
from functions.modal import backends, rooms
from functions.modal.config import DeployConfig, Scaling
from functions.modal.containers import preload
from functions.state import AppState
from shared.outbox import sign
from shared.outbox.modal import ModalDictOutbox
from shared.results import CallResult, now, read_results
from shared.settings import Settings
from shared.tracker.modal import ModalDictCallTracker
from tests.fakes.livekit import FakeLiveKit
from tests.fakes.server import serving
from tests.shared.tracker.fake_modal import FakeModal

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "deploy.md"
ATTACH_SECRET = "attach-secret-for-modal"


def deployed(function: Any) -> dict[str, Any]:
    """What ``modal deploy`` would send for a function: the settings its loader closes over.

    Reads modal 1.6's internals (``_Function._load``'s closure), since Modal exposes only part
    of them offline (``Function.info()``); if an upgrade moves them, fix this helper, not the
    expectations.
    """
    from modal._utils.async_utils import synchronizer

    if isinstance(function, type(modal_app.Media)):
        function = function._get_class_service_function()
    impl = synchronizer._translate_in(function)
    names = impl._load.__code__.co_freevars
    return {n: c.cell_contents for n, c in zip(names, impl._load.__closure__, strict=True)}


def impl(wrapper: Any) -> Any:
    """Modal's object behind its synchronized wrapper (what a loader holds)."""
    from modal._utils.async_utils import synchronizer

    return synchronizer._translate_in(wrapper)


def documented_functions() -> dict[str, dict[str, str]]:
    section = DOCS.read_text().split("## What gets deployed", 1)[1].strip()
    rows = section.split("\n\n", 1)[0].splitlines()  # the first table
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    table = {}
    for row in rows[2:]:
        cells = [cell.strip().strip("`") for cell in row.strip("|").split("|")]
        table[cells[0]] = dict(zip(header, cells, strict=True))
    return table


def number(text: str) -> float:
    found = re.match(r"[\d.]+", text)
    assert found, text
    return float(found.group())


def test_importing_the_app_needs_no_credentials_network_or_pipecat(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
    env |= {"HOME": str(tmp_path), "MODAL_CONFIG_PATH": str(tmp_path / "none.toml")}
    script = "import sys, modal_app; print('pipecat' in sys.modules, 'whisper' in str(sys.modules))"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]
    assert time.monotonic() - started < 20


@pytest.mark.parametrize("name", ["Media", "Agent", "drain_outbox"])
def test_each_function_deploys_as_the_guide_says(name: str) -> None:
    doc = documented_functions()[name]
    function = getattr(modal_app, name)
    settings = deployed(function)
    images = {"agent": modal_app.agent_image, "light": modal_app.light_image}
    assert settings["image"] is impl(images[doc["image"]])
    assert settings["timeout"] == number(doc["timeout"])
    assert (settings["max_concurrent_inputs"] or 1) == number(doc["inputs per container"])
    assert settings["single_use_containers"] == (doc["single use"] == "yes")
    retries = settings["retry_policy"].retries if settings["retry_policy"] else 0
    assert retries == number(doc["retries"])
    assert settings["enable_memory_snapshot"] == (doc["memory snapshot"] == "yes")
    secrets = sorted(repr(s) for s in settings["secrets"] if "from_name" in repr(s))
    names = sorted(f"modal.Secret.from_name('voxcore-{n}')" for n in doc["secrets"].split(", "))
    assert secrets == names
    schedule = settings["schedule"]
    every = schedule.proto_message.period.seconds if schedule else None
    assert every == (None if doc["schedule"] == "-" else number(doc["schedule"][6:]))
    assert settings["cpu"] == number(doc["cpu"]) and settings["memory"] == number(doc["memory"])


def test_call_functions_snapshot_models_and_connect_after_the_restore() -> None:
    """``enter(snap=True)`` loads; ``enter(snap=False)`` reads settings and builds the state."""
    from modal._partial_function import _PartialFunctionFlags as Flags

    for cls in (modal_app.Media, modal_app.Agent):
        hooks = {name: impl(hook).flags for name, hook in cls._get_partial_functions().items()}
        assert hooks["load"] & Flags.ENTER_PRE_SNAPSHOT
        assert hooks["start"] & Flags.ENTER_POST_SNAPSHOT
        assert deployed(cls)["scheduler_placement"] is None  # no region surcharge unless asked


def test_the_snapshot_phase_opens_no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a connection inside the snapshot phase")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert preload(Settings()) > 0


def test_deploy_time_settings_and_their_documented_defaults() -> None:
    rows = DOCS.read_text().split("## Deploy-time settings", 1)[1].split("\n## ", 1)[0]
    documented = dict(re.findall(r"^\| `([A-Z_]+)` \| `?([^|`]+?)`? \|", rows, re.M))
    defaults = DeployConfig()
    fields = {
        "MAX_CONCURRENT_CALLS": "calls_per_container",
        "VOXCORE_MODAL_TOTAL_CALLS": "total_calls",
        "VOXCORE_MODAL_REGION": "region",
        "VOXCORE_MODAL_APP": "app_name",
        "VOXCORE_TRACKER_DICT": "tracker_dict",
        "VOXCORE_OUTBOX_DICT": "outbox_dict",
        "VOXCORE_CALLS_DICT": "calls_dict",
        "VOXCORE_MODAL_DRAIN_EVERY_S": "drain_every_s",
    }
    scaling = {"MIN_CONTAINERS": "min_containers", "BUFFER_CONTAINERS": "buffer_containers"}
    scaling |= {"SCALEDOWN_S": "scaledown_window"}
    for variable, default in documented.items():
        if variable.startswith(("VOXCORE_MODAL_MEDIA_", "VOXCORE_MODAL_AGENT_")):
            which, setting = variable.split("_", 3)[2].lower(), variable.split("_", 3)[3]
            value: Any = getattr(getattr(defaults, which), scaling[setting])
        else:
            value = getattr(defaults, fields[variable])
        assert str(value if value is not None else "unset") == default, variable
    custom = DeployConfig.from_env(
        {"VOXCORE_MODAL_MEDIA_MIN_CONTAINERS": "1", "VOXCORE_MODAL_REGION": "ap"}
        | {"MAX_CONCURRENT_CALLS": "4", "VOXCORE_TRACKER_DICT": ""}
    )
    assert custom.media == Scaling(1, 0, 300) and custom.agent == defaults.agent
    assert (custom.region, custom.calls_per_container, custom.tracker_dict) == ("ap", 4, "")
    assert len(documented) == 14
    shared = DeployConfig.from_env({"VOXCORE_MODAL_TOTAL_CALLS": "40"}).container_env
    assert (shared["MAX_CONCURRENT_CALLS"], shared["VOXCORE_TRACKER_DICT"]) == (
        "40",
        "voxcore-call-slots",
    )
    own = DeployConfig().container_env
    assert (own["MAX_CONCURRENT_CALLS"], own["VOXCORE_TRACKER_DICT"]) == ("8", "")


def test_the_light_image_holds_what_the_drain_imports(tmp_path: Path) -> None:
    """A drain container imports modal_app, then runs the drain, with only the light image's
    packages, Python's own and Modal's client (which Modal mounts) importable."""
    pins = [pin.split("==")[0] for pin in modal_app.light_pins()]
    script = f"""
import asyncio, importlib.machinery, importlib.metadata as md, sys
import modal
modal.is_local = lambda: False  # as inside a container
allowed = {{"functions", "shared", "modal_app"}} | set(sys.stdlib_module_names)
allowed |= {{name.split(".")[0] for name in sys.modules}}  # modal's client and what it uses
names = {{n.lower().replace("_", "-") for n in {pins!r}}}
for top, dists in md.packages_distributions().items():
    if any(d.lower().replace("_", "-") in names for d in dists):
        allowed.add(top)
sites = tuple(p for p in sys.path if "site-packages" in p)
class Image:
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in allowed or "." in name:
            return None
        spec = importlib.machinery.PathFinder.find_spec(top)
        if spec is not None and (spec.origin or "").startswith(sites):
            raise ModuleNotFoundError(f"{{name}} is not in the light image")
sys.meta_path.insert(0, Image())
import modal_app
from functions.modal.drain import drain_outbox
from shared.settings import Settings
report = asyncio.run(drain_outbox(Settings(data_dir={str(tmp_path)!r}), budget_s=2))
print(report["tried"], "pipecat" in sys.modules, len(modal_app.light_pins()))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["0", "False", "0"]
    assert "pydantic-settings" in pins and "boto3" in pins


# --- The functions, run locally ------------------------------------------------------------
@pytest.fixture
def modal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeModal]:
    """The containers' environment as modal_app sets it, with STAND-IN Dicts and LiveKit."""
    fake = FakeModal()
    monkeypatch.setattr(backends, "dict_named", fake.dict)
    livekit = FakeLiveKit()
    with serving(livekit.app()) as url:
        env = {
            "VOXCORE_DATA_DIR": str(tmp_path),
            "VOXCORE_TRACKER_DICT": "slots",
            "VOXCORE_OUTBOX_DICT": "outbox",
            "VOXCORE_CALLS_DICT": "calls",
            "VOXCORE_ATTACH_SECRET": ATTACH_SECRET,
            "LIVEKIT_URL": url,
            "LIVEKIT_API_KEY": livekit.api_key,
            "LIVEKIT_API_SECRET": livekit.api_secret,
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield fake


async def joined_room(state: AppState, request: RoomCallRequest) -> CallResult:
    """The room call (its media needs a real LiveKit server): hold the slot, write a result."""
    async with state.tracker.slot(request.call_id):
        at = now()
        result = CallResult(
            call_id=request.call_id, transport="livekit", bot_id=request.bot_id,
            to_number=request.to_number, started_at=at, ended_at=at, duration_s=0.0,
            disconnected_by="caller",
        )  # fmt: skip
        await state.record(result)
        return result


def attach(client: TestClient, body: dict[str, str]) -> Any:
    content = json.dumps(body).encode()
    timestamp = int(time.time())
    headers = {
        "X-VoxCore-Timestamp": str(timestamp),
        "X-VoxCore-Signature": sign(ATTACH_SECRET, timestamp, content),
    }
    return client.post("/attach", content=content, headers=headers)


@pytest.mark.slow
def test_an_attach_to_media_spawns_one_agent_that_runs_the_call(
    modal: FakeModal, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Media's app (the local server's factory) takes an attach, spawns ``Agent.run_call``
    with a well-formed request once however often it is sent; the agent holds a shared slot,
    writes the result to the shared outbox and delivers it before its container would go."""
    payloads: list[dict[str, Any]] = []
    outcomes: list[str] = []

    async def spawn(payload: dict[str, Any]) -> str:
        payloads.append(payload)
        agent = modal_app.Agent()
        agent._enter()  # .local() of an async method skips @modal.enter hooks (modal 1.6)
        outcomes.append(await agent.run_call.local(payload))
        return f"fc-{len(payloads)}"

    monkeypatch.setattr(modal_app, "spawn_agent", spawn)
    monkeypatch.setattr(rooms, "run_room_call", joined_room)
    app = modal_app.Media().web.local()
    state: AppState = app.state.voxcore
    assert isinstance(state.tracker, ModalDictCallTracker)
    assert isinstance(state.outbox, ModalDictOutbox)
    body = {"call_id": "camp-9", "room": "dialler-room-9", "bot": "support-desk", "to": "+1555"}
    with TestClient(app) as client:
        ready = client.get("/ready").json()
        assert ready["ready"] and ready["models_loaded_s"] > 0
        for _ in range(3):  # the dialler retries; each answer is the same
            answer = attach(client, body)
            assert answer.status_code == 202, answer.text
        client.portal.call(state.room_calls.wait)  # type: ignore[union-attr]
    request = RoomCallRequest.model_validate(payloads[0])
    assert (request.call_id, request.route, request.room) == ("camp-9", "attach", "dialler-room-9")
    assert len(payloads) == 1 and outcomes == ["caller"]
    assert [r["call_id"] for r in read_results(tmp_path / "results.jsonl")] == ["camp-9"]
    assert modal.dict("slots").len() == 0  # the slot is back


async def test_the_drain_runs_with_the_shared_outbox(modal: FakeModal) -> None:
    outbox = backends.outbox_store(Settings())
    outbox.enqueue("call_result", "call_result:late", {"call_id": "late"})
    report = await modal_app.drain_outbox.local()
    assert report["tried"] == 1 and report["delivered"] == 1
