"""The notebooks' figures: latency distributions, accuracy against latency and cost, worst cases.

Each function takes provider runs, draws one figure, writes it as PNG into the notebook's plot
folder and returns it (closed, so a notebook shows it once). Values come from the registered
metrics (:mod:`lab.registry`), so a plot and a report table never disagree.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from lab.data.manifest import Dataset
from lab.metrics import _Percentile
from lab.registry import metric
from lab.replay import ProviderRun
from lab.runners.stt import PAD_AFTER_S, PAD_BEFORE_S, caller_audio
from lab.store import SampleResult
from shared.audio import read_wav


def _save(fig: Figure, path: Path) -> Figure:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return fig


def _label(run: ProviderRun) -> str:
    """A provider's label, a whole call's providers one per line."""
    return run.spec.label.replace("+", "\n+")


def distributions(runs: Sequence[ProviderRun], name: str, out: Path) -> Figure:
    """Per-sample values of a latency metric (``ttfs_p50_s``, ``v2v_p50_s``...): a box and
    every sample per provider, with p50 and p95 written beside it."""
    measure = metric(name)
    if not isinstance(measure, _Percentile):
        raise ValueError(f"{name} is not a per-sample latency")
    values = [measure.samples(run.results) for run in runs]
    fig, ax = plt.subplots(figsize=(8, 1.4 + 0.9 * len(runs)))
    ax.boxplot(values, vert=False, showfliers=False, whis=(5, 95), widths=0.5)
    jitter = np.random.default_rng(0)
    for row, series in enumerate(values, start=1):
        if not series:
            continue
        ys = row + jitter.uniform(-0.18, 0.18, len(series))
        ax.scatter(series, ys, s=9, alpha=0.5, color="tab:blue")
        p50, p95 = np.percentile(series, [50, 95])
        ax.annotate(
            f"p50 {p50:.3f} s\np95 {p95:.3f} s\nn={len(series)}",
            (1.01, row),
            xycoords=("axes fraction", "data"),
            va="center",
            fontsize=8,
        )
    ax.set_yticks(range(1, len(runs) + 1), [_label(run) for run in runs], fontsize=8)
    ax.set_xlabel("seconds")
    ax.set_title(f"{name.removesuffix('_p50_s')}: {measure.description}", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, out / f"{name.removesuffix('_p50_s')}_distribution.png")


def tradeoff(
    runs: Sequence[ProviderRun], accuracy: str, latency: str, cost: str, out: Path
) -> Figure:
    """Accuracy against latency, one point per provider, its list price written beside it."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    shown = [metric(accuracy), metric(latency), metric(cost)]
    scale = 100 if shown[0].unit == "%" else 1
    points = []
    for run in runs:
        y, x, price = (m.compute(run.results) for m in shown)
        if x is None or y is None:
            continue
        points.append((x, y * scale))
        ax.scatter([x], [y * scale], s=80)
        ax.annotate(
            f"{run.spec.label}\n{shown[2].format(price)}",
            (x, y * scale),
            textcoords="offset points",
            xytext=(8, 4),
            fontsize=8,
        )
    better = "higher" if shown[0].higher_is_better else "lower"
    ax.set_xlabel(f"{latency} (s, lower is better)")
    ax.set_ylabel(f"{accuracy} ({'%, ' if shown[0].unit == '%' else ''}{better} is better)")
    ax.set_title(f"{accuracy} vs {latency}; label: {cost}")
    ax.grid(alpha=0.3)
    # From zero, so a distance between providers reads as a ratio; room for the labels.
    ax.set_xlim(0, max((x for x, _ in points), default=0.0) * 1.6 or 1.0)
    ax.set_ylim(0, max((y for _, y in points), default=0.0) * 1.25 or 1.0)
    return _save(fig, out / f"{accuracy}_vs_{latency}.png")


def by_source(runs: Sequence[ProviderRun], name: str, out: Path) -> Figure:
    """One metric per row source (clean, noisy, 8 kHz IVR...) and provider, side by side."""
    measure = metric(name)
    sources = list(dict.fromkeys(r.source for run in runs for r in run.results))
    fig, ax = plt.subplots(figsize=(7, 3.8))
    width = 0.8 / max(1, len(runs))
    scale = 100 if measure.unit == "%" else 1
    for index, run in enumerate(runs):
        values = [
            measure.compute([r for r in run.results if r.source == source]) for source in sources
        ]
        xs = [i + index * width for i in range(len(sources))]
        ax.bar(xs, [(v or 0.0) * scale for v in values], width, label=run.spec.label)
    ax.set_xticks([i + width * (len(runs) - 1) / 2 for i in range(len(sources))], sources)
    ax.set_ylabel(f"{name}{' (%)' if measure.unit == '%' else ''}")
    ax.set_title(measure.description)
    ax.legend(fontsize=8)
    return _save(fig, out / f"{name}_by_source.png")


def v2v_breakdown(runs: Sequence[ProviderRun], out: Path) -> Figure:
    """Voice to voice at the caller's ear (p50) beside the server's parts of a turn (Pipecat's
    latency breakdown, p50 each): the gap between them is the line, buffering and playout."""
    parts = [
        "endpointing_wait",
        "turn_detection",
        "transcription",
        "llm_inference",
        "speech_synthesis",
    ]
    fig, ax = plt.subplots(figsize=(9, 1.6 + 0.9 * len(runs)))
    for row, run in enumerate(runs):
        turns = [t for r in run.results for t in r.observation.get("server_latency", [])]
        left = 0.0
        for part in parts:
            values = [t.get("parts_ms", {}).get(part, 0.0) / 1000 for t in turns]
            width = float(np.median(values)) if values else 0.0
            ax.barh(row, width, left=left, height=0.5, label=part if row == 0 else None)
            left += width
        ear = metric("v2v_p50_s").compute(run.results)
        if ear is not None:
            ax.plot(ear, row, "kD", label="caller's ear (p50)" if row == 0 else None)
            ax.annotate(f"{ear:.2f} s", (ear, row), xytext=(6, 6), textcoords="offset points")
    ax.set_yticks(range(len(runs)), [_label(run) for run in runs], fontsize=8)
    ax.margins(x=0.12)
    ax.set_xlabel("seconds from the end of the caller's speech (p50 of each part)")
    ax.set_title("Where a turn's latency goes")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, out / "v2v_breakdown.png")


def worst(run: ProviderRun, key: str = "wer", n: int = 5) -> list[SampleResult]:
    """The ``n`` samples with the highest per-sample ``key`` score (errors first)."""
    failed = [r for r in run.results if r.error]
    scored = [r for r in run.results if not r.error and r.scores.get(key) is not None]
    return (failed + sorted(scored, key=lambda r: -float(r.scores[key])))[:n]


def sample_audio(result: SampleResult, dataset: Dataset) -> tuple[np.ndarray, int] | None:
    """What the provider heard or said for a sample: the caller's turn, or the TTS output."""
    path = result.observation.get("audio_path")
    if path:
        pcm = read_wav(path)
        return pcm.samples, pcm.sample_rate
    if result.runner != "stt":
        return None
    row = next(r for r in dataset.rows if r.id == result.row)
    span = None
    if "#t" in result.sample:
        turn = row.turns[int(result.sample.rpartition("#t")[2])]
        span = (max(0.0, (turn.start_s or 0.0) - PAD_BEFORE_S), (turn.end_s or 0.0) + PAD_AFTER_S)
    return caller_audio(dataset.audio_path(row), span, None), row.sample_rate


def worst_cases(run: ProviderRun, dataset: Dataset, key: str = "wer", n: int = 5) -> None:
    """The worst samples as a table (reference, hypothesis, score), each with a player."""
    from IPython.display import HTML, Audio, display

    display(HTML(f"<h4>{html.escape(run.spec.label)}: worst {n} by {key}</h4>"))
    for result in worst(run, key, n):
        said = result.scores.get("reference", "")
        heard = result.error or result.scores.get("hypothesis", "")
        display(
            HTML(
                f"<b>{html.escape(result.sample)}</b> {key}={result.scores.get(key)}<br>"
                f"reference: {html.escape(str(said))}<br>heard: {html.escape(str(heard))}"
            )
        )
        audio = sample_audio(result, dataset)
        if audio is not None:
            display(Audio(audio[0], rate=audio[1]))


def _calls(calls: Sequence[Any]) -> str:
    return html.escape(", ".join(f"{c['name']}({c.get('arguments') or {}})" for c in calls) or "-")


def tool_misses(run: ProviderRun, dataset: Dataset, n: int = 5) -> None:
    """Turns whose tool calls were wrong: what the caller said, what was expected, what ran."""
    from IPython.display import HTML, display

    rows_by_id = {row.id: row for row in dataset.rows}
    rows = []
    for result in run.results:
        caller = rows_by_id[result.row].caller_turns
        made = result.observation.get("turns", [])
        for index, turn in enumerate(result.scores.get("turns", [])):
            if (turn["expected"] or turn["made"]) and not turn["calls_ok"]:
                expected = [c.model_dump() for c in caller[index].tool_calls]
                ran = made[index].get("calls", []) if index < len(made) else []
                said = html.escape(caller[index].text)
                rows.append((f"{result.sample} #{index + 1}", said, _calls(expected), _calls(ran)))
    cells = "".join(f"<tr>{''.join(f'<td>{c}</td>' for c in row)}</tr>" for row in rows[:n])
    head = "<tr><th>call, turn</th><th>caller said</th><th>expected</th><th>made</th></tr>"
    title = f"<h4>{html.escape(run.spec.label)}: {len(rows)} turn(s) with wrong tool calls</h4>"
    display(HTML(f"{title}<table>{head}{cells}</table>"))
