"""The annotation vocabulary written into recordings (see ``docs/files.md``).

Annotation texts are short, machine-readable and still legible in EDFbrowser or MNE:
``kind`` or ``kind:detail``. Readers keep unknown texts as they are, so the vocabulary can grow.

=====================  ============================================================
``marker:<n>:<label>``  a user marker (number key ``n`` 0-9, short free label)
``contraction``         a detected contraction (onset, duration = until release)
``protocol:<step>``     a guided-session step started (duration = planned length)
``rating:<kind>=<v>``   a rating, e.g. ``rating:pain=3`` (0-10 NRS), ``rating:suds=40``
``gap:<stream>``        samples missing from the device (filled with 0 in the file)
``device:<what>``       device state: ``device:disconnected``, ``device:reconnected``,
                        ``device:restarted``, ``device:lead-off``
``recording:<what>``    recording life: ``recording:recovered``, ``recording:stopped``
``note:<text>``         free text
=====================  ============================================================
"""

from __future__ import annotations

import re

_LABEL_BAD = re.compile(r"[\x00-\x1f\x7f]")

KINDS = ("marker", "contraction", "protocol", "rating", "gap", "device", "recording", "note")
META_PREFIX = "biofeedback-meta "  # chunks of the JSON metadata block (not shown to users)


def clean_label(text: str, limit: int = 60) -> str:
    """Strip control characters (they would break EDF+ TALs) and bound the length."""
    return _LABEL_BAD.sub(" ", text).strip()[:limit]


def marker(number: int, label: str = "") -> str:
    if not 0 <= number <= 9:
        raise ValueError(f"marker number must be 0-9, got {number}")
    return f"marker:{number}:{clean_label(label)}"


def rating(kind: str, value: float | int | str) -> str:
    return f"rating:{clean_label(kind, 20)}={value}"


def protocol_step(step: str) -> str:
    return f"protocol:{clean_label(step)}"


def gap(stream: str) -> str:
    return f"gap:{stream}"


def device(what: str) -> str:
    return f"device:{clean_label(what, 30)}"


def kind_of(text: str) -> str:
    """The vocabulary kind of an annotation text (``"other"`` for foreign texts)."""
    head = text.split(":", 1)[0]
    return head if head in KINDS else "other"
