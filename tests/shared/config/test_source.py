"""Bots from a YAML directory: picked up without a restart, broken files named and skipped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shared.config.source import BotConfigError, BotNotFoundError, DirectoryBotSource, parse_bot

BOT = """
id: {id}
name: Test bot
scenario: support_desk
greeting: Hello.
dids: ["{did}"]
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    return path


async def test_new_and_edited_bots_are_picked_up_without_restart(tmp_path: Path) -> None:
    source = DirectoryBotSource(tmp_path)
    with pytest.raises(BotNotFoundError):
        await source.by_id("alpha")
    path = write(tmp_path, "alpha.yaml", BOT.format(id="alpha", did="+1 555 0100"))
    assert (await source.by_id("alpha")).greeting == "Hello."
    path.write_text(path.read_text().replace("Hello.", "Hi there."))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert (await source.by_id("alpha")).greeting == "Hi there."


async def test_dialled_numbers_match_whatever_their_formatting(tmp_path: Path) -> None:
    write(tmp_path, "alpha.yaml", BOT.format(id="alpha", did="+91 80-4000-1000"))
    source = DirectoryBotSource(tmp_path)
    assert (await source.by_number("+918040001000")).id == "alpha"
    assert (await source.by_number("918040001000")).id == "alpha"
    with pytest.raises(BotNotFoundError, match="no bot is assigned"):
        await source.by_number("+15550000000")


def test_a_broken_file_is_named_and_the_others_keep_working(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", BOT.format(id="good", did="+15550001"))
    write(
        tmp_path,
        "bad.yaml",
        BOT.format(id="bad", did="+15550002") + "limits: {max_duration_s: -5}\n",
    )
    source = DirectoryBotSource(tmp_path)
    assert [bot.id for bot in source.list()] == ["good"]
    (error,) = source.errors()
    assert "bad.yaml" in error
    assert "limits.max_duration_s" in error
    assert "greater than 0" in error


def test_yaml_syntax_and_unknown_fields_are_reported() -> None:
    with pytest.raises(BotConfigError, match=r"x\.yaml: not valid YAML"):
        parse_bot("x.yaml", "id: [unclosed")
    with pytest.raises(BotConfigError, match=r"x\.yaml: colour: Extra inputs"):
        parse_bot("x.yaml", BOT.format(id="a", did="+15550001") + "colour: blue\n")
    with pytest.raises(BotConfigError, match="expected a mapping"):
        parse_bot("x.yaml", "- a list")


def test_provider_kind_must_match_its_slot() -> None:
    text = BOT.format(id="a", did="+15550001") + "stt: {kind: tts, name: local-piper}\n"
    with pytest.raises(BotConfigError, match="declared as kind 'tts'"):
        parse_bot("x.yaml", text)


def test_shipped_demo_bots_are_valid() -> None:
    from shared.settings import DEFAULT_BOTS_DIR

    source = DirectoryBotSource(DEFAULT_BOTS_DIR)
    assert source.errors() == []
    assert {bot.id for bot in source.list()} == {"support-desk", "clinic-booking"}
