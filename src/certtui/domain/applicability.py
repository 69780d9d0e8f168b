"""Whether the chat certification applies to a model, decided from what the catalog says of it.

The chat suite talks to a model through Converse with text prompts. It does not apply to models
that produce no text (embeddings, images, video, speech), that take no text in, or to known
families whose TEXT output is not chat: rerankers score documents, Nova Sonic speaks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from certtui.domain import glyphs

_OUTPUT_REASONS: dict[str, str] = {
    "EMBEDDING": "an embedding model",
    "IMAGE": "an image generation model",
    "VIDEO": "a video generation model",
    "SPEECH": "a speech model",
    "AUDIO": "an audio model",
}

# Known families by model-id fragment, checked before the modalities (rerankers list TEXT out).
_FAMILIES: tuple[tuple[str, str], ...] = (
    (".rerank", "a rerank model (scores documents through Rerank, not Converse)"),
    ("nova-sonic", "a speech-to-speech model (Nova Sonic streams audio bidirectionally)"),
    ("nova-2-sonic", "a speech-to-speech model (Nova Sonic streams audio bidirectionally)"),
    ("nova-reel", "a video generation model"),
    (".ray-", "a video generation model"),
    ("-embed-", "an embedding model"),
    (".embed-", "an embedding model"),
)

SUFFIX = ": the chat suite does not apply"


def not_applicable_reason(
    model_id: str = "",
    input_modalities: Iterable[str] = ("TEXT",),
    output_modalities: Iterable[str] = ("TEXT",),
) -> str | None:
    """Why the chat suite does not apply to this model, or None when it does."""
    lowered = model_id.lower()
    for fragment, reason in _FAMILIES:
        if fragment in lowered:
            return reason + SUFFIX
    outputs = [m.upper() for m in output_modalities]
    inputs = [m.upper() for m in input_modalities]
    if "TEXT" not in outputs:
        for modality in outputs:
            if modality in _OUTPUT_REASONS:
                return _OUTPUT_REASONS[modality] + SUFFIX
        if outputs:
            return f"outputs {', '.join(outputs)}, not TEXT{SUFFIX}"
        return f"no output modality is known{SUFFIX}"
    if inputs and "TEXT" not in inputs:
        return f"takes {', '.join(inputs)} in, not TEXT{SUFFIX}"
    return None


def applicable(
    model_id: str = "",
    input_modalities: Iterable[str] = ("TEXT",),
    output_modalities: Iterable[str] = ("TEXT",),
) -> bool:
    """True when the chat suite certifies this model."""
    return not_applicable_reason(model_id, input_modalities, output_modalities) is None


def catalog_notes(
    reason: str | None, end_of_life: date | None, lifecycle: str | None, *, ends_soon: bool
) -> list[str]:
    """What a model list says of a model: not applicable (why), end of life (⚠ if soon), legacy."""
    notes = []
    if reason:
        notes.append(f"not applicable: {reason}")
    if end_of_life is not None:
        warning = f"{glyphs.current().warning} " if ends_soon else ""
        notes.append(f"{warning}end of life {end_of_life.isoformat()}")
    elif (lifecycle or "").upper() == "LEGACY":
        notes.append("legacy")
    return notes
