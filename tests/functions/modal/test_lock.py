"""Pins for the light image come from uv.lock: the roots, what they pull in on Linux and
CPython 3.11 (extras included, Windows-only dependencies left out), each at the locked version."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from functions.modal.lock import lock_pins

LOCK = Path(__file__).resolve().parents[3] / "uv.lock"


def locked_versions() -> dict[str, set[str]]:
    versions: dict[str, set[str]] = {}
    for package in tomllib.loads(LOCK.read_text())["package"]:
        versions.setdefault(package["name"], set()).add(package["version"])
    return versions


def test_every_pin_is_the_locked_version() -> None:
    versions = locked_versions()
    pins = lock_pins(LOCK, ["fastapi", "pydantic-settings", "httpx", "boto3", "redis"])
    for pin in pins:
        name, version = pin.split("==")
        assert version in versions[name], pin
    names = {pin.split("==")[0] for pin in pins}
    assert {"starlette", "pydantic-core", "botocore", "httpcore"} <= names  # pulled in


def test_platform_markers_and_extras() -> None:
    assert "win32-setctime" not in str(lock_pins(LOCK, ["loguru"]))
    assert lock_pins(LOCK, ["soxr"]) == ["numpy==2.4.6", "soxr==1.0.0"]  # the 3.11 numpy
    standard = {pin.split("==")[0] for pin in lock_pins(LOCK, ["uvicorn[standard]"])}
    assert {"uvloop", "httptools", "websockets"} <= standard
    assert "uvloop" not in str(lock_pins(LOCK, ["uvicorn"]))


def test_the_project_itself_is_not_a_pin() -> None:
    with pytest.raises(ValueError, match="the project itself"):
        lock_pins(LOCK, ["voxcore"])
