"""Published pelvic-floor resting-tone values, shown as a labelled band, never as pass/fail.

clinical.md §1: "Never hard-code population µV norms as pass/fail; show them as reference bands
with the source and device" — the same protocol on different devices reads ~3-7× differently,
so the band is context for the clinician, not a target for the patient.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReferenceBand:
    low_uv: float
    high_uv: float
    label: str  # short, drawn beside the band
    source: str  # full citation for tooltips and reports
    caveat: str


RESTING_TONE = ReferenceBand(
    low_uv=2.40,
    high_uv=6.26,
    label="published rest 2.4–6.3 µV",
    source=("Healthy women at rest, intravaginal sEMG: median 2.40 µV (Kasper-Jędrzejewska "
            "et al. 2025, Med Sci Monit 31:e950086, n=28) to mean 6.26 µV (Oleksy et al. 2020, "
            "Medicine 99:e19060, n=96); clinical.md §1."),
    caveat=("Other devices and probes read 3-7× differently: compare with your own baseline, "
            "not with these numbers."),
)

__all__ = ["RESTING_TONE", "ReferenceBand"]
