"""A whole-file activity overview for replay review: where the contractions are, at a glance.

Band-passes the pelvic-floor channel (the same filter design as the live path) and reduces it
to the RMS of consecutive bins, so an hour-long file becomes a few thousand points the overview
strip can draw and click on. Plain numpy/scipy on a :class:`~biofeedback.streams.SignalSet`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal as sps

from biofeedback.signal import PipelineConfig
from biofeedback.signal.filters import design_bandpass
from biofeedback.streams import Annotation, SignalSet


@dataclass(frozen=True)
class FileOverview:
    t: np.ndarray  # bin centres, s (file time)
    rms_uv: np.ndarray  # RMS of the band-passed pelvic-floor EMG per bin
    duration_s: float
    annotations: tuple[Annotation, ...]


def file_overview(ss: SignalSet, bins: int = 2000, config: PipelineConfig | None = None,
                  channel: str = "pfm") -> FileOverview:
    """The RMS of ``channel`` in ``bins`` equal bins (fewer for short files)."""
    e = (config or PipelineConfig()).emg
    try:
        x, fs, _ = ss.channel(channel)
    except KeyError:
        stream = next(s for s in ss.streams if s.channels)
        x, fs = ss.data[stream.name][:, 0], stream.fs
    x = np.nan_to_num(np.asarray(x, dtype=float))
    if len(x) == 0:
        return FileOverview(np.zeros(0), np.zeros(0), 0.0, tuple(ss.annotations))
    try:
        y = sps.sosfilt(design_bandpass(fs, e.band_low_hz, e.band_high_hz, e.filter_order),
                        x - x[0])
    except ValueError:  # a rate too low for the EMG band: show the raw activity
        y = x - np.mean(x)
    per = max(1, int(np.ceil(len(y) / bins)))
    n = len(y) // per
    sq = y[: n * per].reshape(n, per) ** 2 if n else np.zeros((0, per))
    rms = np.sqrt(sq.mean(axis=1)) if n else np.zeros(0)
    t = (np.arange(n) + 0.5) * per / fs
    return FileOverview(t, rms, len(x) / fs, tuple(ss.annotations))


__all__ = ["FileOverview", "file_overview"]
