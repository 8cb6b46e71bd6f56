"""What ``modal deploy`` builds, read from the deploying shell's environment (docs/deploy.md).

These are decided when the app is deployed, not when a container starts: Modal fixes a
function's scaling, concurrency and region at deploy time. Everything a running container
reads (providers, bridge, tokens) comes from ``Settings`` and the Modal Secrets instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# The longest call a bot may configure (BotConfig.limits.max_duration_s) and the time after it
# for the goodbye, the recording upload and the result: the per-call timeout sits above both.
MAX_CALL_S = 4 * 3600
CALL_TIMEOUT_S = MAX_CALL_S + 300
# Seconds a spawned call may wait for a slot (also covers its own earlier attempt's lease).
SLOT_WAIT_S = 35.0


@dataclass(frozen=True)
class Scaling:
    """Modal's autoscaler settings for one function, with what they cost (docs/deploy.md)."""

    min_containers: int = 0  # always-on containers: billed around the clock
    buffer_containers: int = 0  # idle spares kept while the function is busy
    scaledown_window: int = 60  # seconds an idle container lives on, billed

    @classmethod
    def from_env(cls, env: Mapping[str, str], name: str, default: Scaling) -> Scaling:
        def value(setting: str, fallback: int) -> int:
            return int(env.get(f"VOXCORE_MODAL_{name}_{setting}", fallback))

        return cls(
            value("MIN_CONTAINERS", default.min_containers),
            value("BUFFER_CONTAINERS", default.buffer_containers),
            value("SCALEDOWN_S", default.scaledown_window),
        )


@dataclass(frozen=True)
class DeployConfig:
    app_name: str = "voxcore"
    region: str | None = None  # None: anywhere (no region surcharge)
    # A media container's input concurrency, and its own slot limit: the calls it carries.
    calls_per_container: int = 8
    # One limit for all containers together (in tracker_dict, or Redis when a Secret sets
    # VOXCORE_TRACKER_URL); None: none beyond each container's own.
    total_calls: int | None = None
    media: Scaling = field(default_factory=lambda: Scaling(scaledown_window=300))
    agent: Scaling = field(default_factory=Scaling)
    # modal.Dicts shared by every container; an empty name leaves that backend off.
    tracker_dict: str = "voxcore-call-slots"
    outbox_dict: str = "voxcore-outbox"
    calls_dict: str = "voxcore-calls"
    drain_every_s: int = 60

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DeployConfig:
        base = cls()
        return cls(
            app_name=env.get("VOXCORE_MODAL_APP", base.app_name),
            region=env.get("VOXCORE_MODAL_REGION") or None,
            calls_per_container=int(env.get("MAX_CONCURRENT_CALLS", base.calls_per_container)),
            total_calls=int(env["VOXCORE_MODAL_TOTAL_CALLS"])
            if env.get("VOXCORE_MODAL_TOTAL_CALLS")
            else None,
            media=Scaling.from_env(env, "MEDIA", base.media),
            agent=Scaling.from_env(env, "AGENT", base.agent),
            tracker_dict=env.get("VOXCORE_TRACKER_DICT", base.tracker_dict),
            outbox_dict=env.get("VOXCORE_OUTBOX_DICT", base.outbox_dict),
            calls_dict=env.get("VOXCORE_CALLS_DICT", base.calls_dict),
            drain_every_s=int(env.get("VOXCORE_MODAL_DRAIN_EVERY_S", base.drain_every_s)),
        )

    @property
    def container_env(self) -> dict[str, str | None]:
        """What every container is told about its limits and the shared backends (set after
        the Secrets, so these win over the same names there)."""
        return {
            "MAX_CONCURRENT_CALLS": str(self.total_calls or self.calls_per_container),
            "VOXCORE_TRACKER_DICT": self.tracker_dict if self.total_calls else "",
            "VOXCORE_OUTBOX_DICT": self.outbox_dict,
            "VOXCORE_CALLS_DICT": self.calls_dict,
            "VOXCORE_DATA_DIR": "/tmp/voxcore",  # the container's own disk: spool, caches
        }
