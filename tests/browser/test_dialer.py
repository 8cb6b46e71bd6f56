"""A real browser calls a demo bot through the dialer page and sees the conversation.

Headless Chromium's fake microphone plays real human speech (../shared/speech) after enough
silence for the greeting; the support desk must greet, hear the caller's problem and answer
it, all shown on the page. Hanging up from the page ends the call and leaves its result.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lab.local_server import RunningServer
from shared.audio import load_mono, write_wav
from tests.browser.chromium import chromium

CLIP = "asterisk-core-en/confbridge-lock-no-join.wav"  # "The conference is currently locked..."
RATE = 16000
LEAD_SILENCE_S = 7.0  # the greeting plays out before the caller speaks

TURNS = "[...document.querySelectorAll('#transcript li')].map(li => [li.className, li.textContent])"


def caller_audio(speech_dir: Path, path: Path) -> Path:
    speech = load_mono(speech_dir / CLIP, RATE)
    silence = np.zeros(int(LEAD_SILENCE_S * RATE), dtype=speech.dtype)
    return write_wav(path, np.concatenate([silence, speech]), RATE)


async def test_browser_call_shows_the_bots_reply(
    server: RunningServer, speech_dir: Path, tmp_path: Path, screenshots: Path | None
) -> None:
    wav = caller_audio(speech_dir, tmp_path / "caller.wav")
    flag = f"--use-file-for-fake-audio-capture={wav}%noloop"
    async with chromium(tmp_path / "profile", flag) as browser:
        page = await browser.open(f"{server.http}/dialer")
        await page.wait_for("document.querySelector('#bot').options.length > 0")
        await page.eval("document.querySelector('#bot').value = 'support-desk'")
        await page.eval("document.querySelector('#call').click()")
        await page.wait_for("document.body.dataset.state === 'in-call'", 15)
        # greeting, the caller's problem, the bot's answer to it
        await page.wait_for(f"{TURNS}.filter(([role]) => role === 'bot').length >= 2", 40)
        turns = await page.eval(TURNS)
        if screenshots is not None:
            await page.screenshot(screenshots / "dialer.png")
        call_id = await page.eval("document.body.dataset.callId")
        await page.eval("document.querySelector('#call').click()")
        await page.wait_for("document.body.dataset.state === 'idle'")

    roles = [role for role, _ in turns]
    assert roles[:3] == ["bot", "caller", "bot"], turns
    assert turns[0][1].startswith("Thanks for calling Acme support")
    assert "conference" in turns[1][1].lower(), turns
    result = server.result(call_id, timeout=15)
    assert result["transport"] == "webrtc"
    assert result["disconnected_by"] == "caller", result["close_reason"]
    spoken = [(turn["role"], turn["text"]) for turn in result["transcript"]]
    assert [list(turn) for turn in spoken[:3]] == turns[:3], json.dumps(spoken)
