"""The words for what the signal core measures: signal-quality problems and the mains-notch
suggestion. The core (``biofeedback.signal``) decides in machine terms (quality flags, the
``"notch"`` suggestion key and the hum frequency); the app and the window say it to people,
calmly and without blame (the texts are those the core used to hold)."""

from __future__ import annotations

from biofeedback.signal.quality import QualityFlag

QUALITY_MESSAGES = {
    QualityFlag.DROPOUT: "Samples missing (connection gap)",
    QualityFlag.FLAT: "Flat signal: check that the probe is in place and the leads are connected",
    QualityFlag.CLIPPED: "Signal clipped: the amplifier is saturated",
    QualityFlag.MOTION: "Movement artefact: try to keep still",
    QualityFlag.HUM: "Mains hum: move away from power cables or switch the mains notch on",
}
_ORDER = (QualityFlag.FLAT, QualityFlag.DROPOUT, QualityFlag.CLIPPED, QualityFlag.MOTION,
          QualityFlag.HUM)


def quality_text(flags: QualityFlag) -> str:
    """One line for people; the worst problem first."""
    if flags == QualityFlag.OK:
        return "Signal OK"
    return "; ".join(QUALITY_MESSAGES[f] for f in _ORDER if f in flags)


def suggestion_text(key: str, hum_hz: float | None, *, offline: bool = False) -> str:
    """The core's suggestion ``key`` in words ("" for none); ``offline`` (and the key
    ``"notch-recording"``, hum found over a whole recording) adds the ``biofeedback analyze``
    option that follows it."""
    if key not in ("notch", "notch-recording") or not hum_hz:
        return ""
    offline = offline or key == "notch-recording"
    text = f"Mains hum at {hum_hz:.0f} Hz is measured: switch the {hum_hz:.0f} Hz notch on"
    return text + (f" (analyze --notch {hum_hz:.0f})." if offline else ".")


__all__ = ["QUALITY_MESSAGES", "quality_text", "suggestion_text"]
