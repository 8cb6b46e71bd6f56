"""``BotConfig``: everything a call needs to know about its bot, validated at the edge."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared import scenarios
from shared.config.analysis import ANY_TOOL, AnalysisSettings
from shared.config.handoff import HandoffSettings
from shared.config.webhooks import WebhookTool
from shared.providers.registry import TURN_DETECTING_STT
from shared.providers.spec import ProviderKind, ProviderSpec
from shared.scenarios.base import END_CALL

BOT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
E164ISH = re.compile(r"^\+?[0-9]{3,16}$")


def normalize_number(number: str) -> str:
    """Dialled numbers arrive as ``+91 80-1234``, ``08012 34`` or ``+918012...``: keep digits."""
    digits = re.sub(r"[^0-9]", "", number)
    return digits.lstrip("0") or digits


class Limits(BaseModel):
    """Per-call limits: a call never outlives them."""

    model_config = ConfigDict(extra="forbid")

    max_duration_s: float = Field(600.0, gt=0, le=4 * 3600)
    silence_timeout_s: float = Field(8.0, gt=0, le=120)
    silence_reprompts: int = Field(1, ge=0, le=5)


class TurnTaking(BaseModel):
    """VAD and end-of-turn settings; defaults are tuned for 8 kHz telephone audio."""

    model_config = ConfigDict(extra="forbid")

    vad_confidence: float = Field(0.6, ge=0.1, le=1.0)
    vad_start_s: float = Field(0.1, ge=0.05, le=1.0)
    vad_stop_s: float = Field(0.2, ge=0.05, le=2.0)
    vad_min_volume: float = Field(0.5, ge=0.0, le=1.0)
    smart_turn: bool = True
    smart_turn_stop_s: float = Field(0.8, ge=0.3, le=5.0)
    # A turn of digits alone ("five", "4 5") waits this much longer for more before it ends:
    # callers pause between digits, and SmartTurn hears "five" as a finished answer (an IVR's
    # inter-digit timeout). 0: no wait.
    digit_hold_s: float = Field(0.6, ge=0.0, le=3.0)
    allow_interruptions: bool = True


class Fallbacks(BaseModel):
    """Providers to switch to, in order, when a kind's primary fails during a call.

    A provider fails by reporting an error (a dropped socket, a 5xx) or, for the LLM and TTS,
    by staying silent: no first token / first audio within the timeout after being given work.
    """

    model_config = ConfigDict(extra="forbid")

    stt: list[ProviderSpec] = Field(default_factory=list, max_length=3)
    llm: list[ProviderSpec] = Field(default_factory=list, max_length=3)
    tts: list[ProviderSpec] = Field(default_factory=list, max_length=3)
    llm_first_token_s: float = Field(5.0, gt=0, le=60)
    tts_first_audio_s: float = Field(3.0, gt=0, le=60)

    def first_output_timeout_s(self, kind: ProviderKind) -> float | None:
        return {"llm": self.llm_first_token_s, "tts": self.tts_first_audio_s}.get(kind)


class BotConfig(BaseModel):
    """One bot: who it is, what it says, which providers and scenario it runs, and its limits.

    ``version`` is the config's own revision (the bridge bumps it on every edit) and is
    stamped on each call result, so a change in behaviour can be traced to the edit behind it.
    """

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    id: str
    version: int = Field(1, ge=1)
    tenant: str = "default"
    name: str
    language: str = "en"
    dids: list[str] = Field(default_factory=list)
    scenario: str
    greeting: str
    prompt: str | None = None
    reprompt: str = "Are you still there?"
    goodbye: str = "Thank you for calling. Goodbye!"
    stt: ProviderSpec = ProviderSpec(kind="stt", name="local-whisper")
    llm: ProviderSpec = ProviderSpec(kind="llm", name="local-intent")
    tts: ProviderSpec = ProviderSpec(kind="tts", name="local-piper")
    fallbacks: Fallbacks = Field(default_factory=Fallbacks)
    webhooks: list[WebhookTool] = Field(default_factory=list, max_length=32)
    handoff: HandoffSettings = Field(default_factory=HandoffSettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    recording: bool = True
    limits: Limits = Field(default_factory=Limits)
    turn: TurnTaking = Field(default_factory=TurnTaking)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not BOT_ID.match(value):
            raise ValueError("must be 1-64 of a-z, 0-9, '-', '_' starting with a letter or digit")
        return value

    @field_validator("dids")
    @classmethod
    def _dids_shape(cls, values: list[str]) -> list[str]:
        for value in values:
            if not E164ISH.match(re.sub(r"[\s()-]", "", value)):
                raise ValueError(f"{value!r} is not a phone number")
        return [normalize_number(value) for value in values]

    @model_validator(mode="after")
    def _kinds_match(self) -> BotConfig:
        for kind in KINDS:
            chain = self.providers(kind)
            for position, spec in enumerate(chain):
                where = f"fallbacks.{kind}.{position - 1}" if position else kind
                if spec.kind != kind:
                    raise ValueError(
                        f"{where}: provider {spec.name!r} is declared as kind {spec.kind!r}"
                    )
                if spec in chain[:position]:
                    raise ValueError(f"{where}: {spec.label} is already earlier in the chain")
        return self

    @model_validator(mode="after")
    def _webhooks_fit_scenario(self) -> BotConfig:
        if self.scenario not in scenarios.names():
            raise ValueError(
                f"scenario: unknown {self.scenario!r} (registered: {', '.join(scenarios.names())})"
            )
        scenario = scenarios.get(self.scenario)
        built_in = {tool.name for tool in scenario.tools}
        seen: set[str] = set()
        for position, webhook in enumerate(self.webhooks):
            if webhook.name in seen or webhook.name == END_CALL:
                raise ValueError(f"webhooks.{position}.name: {webhook.name!r} is already a tool")
            seen.add(webhook.name)
            if webhook.name not in built_in and not (webhook.description and webhook.parameters):
                raise ValueError(
                    f"webhooks.{position}: {webhook.name!r} is not a {self.scenario} tool, so "
                    "it needs a description and parameters"
                )
        tools, intents = built_in | seen | {ANY_TOOL}, {intent.name for intent in scenario.intents}
        for position, rule in enumerate(self.analysis.dispositions):
            where = f"analysis.dispositions.{position}"
            if unknown := sorted(set(rule.tools) - tools):
                raise ValueError(f"{where}.tools: {unknown} are not tools of this bot")
            if unknown := sorted(set(rule.intents) - intents):
                raise ValueError(f"{where}.intents: {unknown} are not {self.scenario} intents")
        return self

    @model_validator(mode="after")
    def _one_kind_of_turn_taking(self) -> BotConfig:
        # Turn strategies are fixed when the call starts: an STT that takes turns itself
        # (Flux) and one that leaves them to VAD cannot stand in for each other mid-call.
        if len({spec.name in TURN_DETECTING_STT for spec in self.providers("stt")}) > 1:
            raise ValueError(
                "fallbacks.stt: deepgram-flux takes turns itself, so the STTs of one bot must "
                "all be Flux or all not"
            )
        return self

    def providers(self, kind: ProviderKind) -> list[ProviderSpec]:
        """The primary provider of a kind, then its fallbacks in the order they are tried."""
        primary: ProviderSpec = getattr(self, kind)
        return [primary, *getattr(self.fallbacks, kind)]


KINDS: tuple[ProviderKind, ...] = ("stt", "llm", "tts")
