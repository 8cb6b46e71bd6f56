"""Exact pins from ``uv.lock`` for an image that needs only part of the project's dependencies.

The agent image installs the whole lock (``Image.uv_sync``). The light web image installs a few
packages; pinning each of them *and everything they pull in* to the lock's versions keeps the
two images on the same code as the tests ran against, without installing Pipecat and models.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.utils import canonicalize_name

# The containers' platform: Modal's debian_slim images run CPython 3.11 on x86-64 Linux.
TARGET = {
    "python_full_version": "3.11.13",
    "python_version": "3.11",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "implementation_name": "cpython",
    "os_name": "posix",
    "extra": "",
}


def _applies(entry: Mapping[str, Any]) -> bool:
    marker = entry.get("marker") or " or ".join(entry.get("resolution-markers", []))
    return not marker or Marker(marker).evaluate(TARGET)


def lock_pins(lock: Path, roots: Iterable[str]) -> list[str]:
    """``name==version`` for ``roots`` (``"uvicorn[standard]"`` takes the extra) and their
    dependencies on the target platform, as locked; KeyError names a root the lock lacks."""
    packages: dict[str, list[dict[str, Any]]] = {}
    for package in tomllib.loads(lock.read_text())["package"]:
        packages.setdefault(canonicalize_name(package["name"]), []).append(package)

    def find(name: str, version: str | None) -> dict[str, Any]:
        candidates = packages[canonicalize_name(name)]
        if version is not None:
            return next(p for p in candidates if p["version"] == version)
        return next(p for p in candidates if _applies(p))

    pins: dict[str, str] = {}
    todo: list[tuple[str, str | None, list[str]]] = []
    for root in roots:
        name, _, wanted = root.partition("[")
        todo.append((name, None, [extra for extra in wanted.rstrip("]").split(",") if extra]))
    while todo:
        name, version, extras = todo.pop()
        package = find(name, version)
        key = canonicalize_name(package["name"])
        if key in pins and not extras:
            continue
        if {"editable", "virtual"} & set(package.get("source", {})):
            raise ValueError(f"{name} is the project itself, not a locked dependency")
        pins[key] = package["version"]
        edges = list(package.get("dependencies", []))
        for extra in extras:
            edges += package.get("optional-dependencies", {}).get(extra, [])
        todo += [(e["name"], e.get("version"), e.get("extra", [])) for e in edges if _applies(e)]
    return [f"{name}=={version}" for name, version in sorted(pins.items())]
