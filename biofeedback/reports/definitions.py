"""What each measurement means, for the report's definitions (mirrors ``docs/sessions.md``)."""

from __future__ import annotations

#: measurement → (label, unit, definition, source)
METRICS: dict[str, tuple[str, str, str, str]] = {
    "mean_uv": ("Mean amplitude", "µV", "mean of the 250 ms RMS envelope over the step (rest "
                "steps skip their first 1 s)", "clinical.md §2 (Glazer)"),
    "sd_uv": ("SD", "µV", "standard deviation of the envelope over the step", "clinical.md §2"),
    "cv_percent": ("Variability", "%", "100 x SD / mean (coefficient of variation)",
                   "clinical.md §2 (Oleksy)"),
    "peak_uv": ("Peak", "µV", "largest envelope value of the step", "clinical.md §2"),
    "percent_below_line": ("Time below the line", "%", "share of the step the meter showed "
                           "relaxed (below the relax-below line)", "clinical.md §5"),
    "longest_below_s": ("Longest below", "s", "longest uninterrupted relaxed stretch",
                        "clinical.md §5"),
    "relaxation_latency_s": ("Relaxation latency", "s", "step start to the first relaxed "
                             "stretch held for 1 s or more", "clinical.md §3"),
    "end_level_ratio": ("End level / baseline", "", "mean envelope of the last 3 s divided by "
                        "the resting baseline", "clinical.md §5"),
    "strain_s": ("Pushing down", "s", "time the meter showed bearing down (strain)",
                 "clinical.md §4"),
    "contractions": ("Contractions", "", "contractions detected in the step", "clinical.md §3"),
    "contraction_peak_uv": ("Maximum contraction", "µV", "largest detected contraction peak "
                            "(50 ms detection envelope)", "clinical.md §2-3"),
    "rise_time_s": ("Rise time", "s", "mean onset-to-peak time (low reliability between "
                    "trials and days, Oleksy 2021)", "clinical.md §2-3"),
    "recovery_latency_s": ("Recovery latency", "s", "mean time from release back to within "
                           "mean + 2 SD of rest (low reliability, Oleksy 2021)",
                           "clinical.md §2-3"),
    "rating": ("Rating", "", "the person's answer: pain NRS 0-10, anxiety SUDS 0-100",
               "clinical.md §6"),
}

TREND_DEFINITIONS: dict[str, str] = {
    "Resting baseline": "the session's resting level (µV) from its marked rest",
    "Variability": "coefficient of variation (%) of the resting baseline step",
    "Recovery latency": "mean release-to-rest time (s) over the session's contractions",
    "Maximum contraction": "largest contraction peak (µV) of the session",
    "Pain": "highest pain rating of the session, NRS 0-10",
    "Anxiety": "highest anxiety rating of the session, SUDS 0-100",
    "Dilator size": "size number practised (the person's set)",
    "Practice": "minutes practised per ISO week (Monday start)",
}

NOT_A_DIAGNOSIS = (
    "This report describes muscle-activity trends and practice under clinician guidance. It "
    "does not diagnose: surface EMG does not discriminate vaginismus from other conditions, and "
    "the values must be read together with the clinical examination and history."
)

__all__ = ["METRICS", "NOT_A_DIAGNOSIS", "TREND_DEFINITIONS"]
