"""A whole-file activity overview for replay review: where the contractions are, at a glance.

Band-passes the pelvic-floor channel (the same filter design as the live path) and reduces it
to the RMS of consecutive bins, so an hour-long file becomes a few thousand points the overview
strip can draw and click on. One bounded-memory pass through a chunked
:class:`~biofeedback.formats.reader.SignalReader` (or a :class:`~biofeedback.streams.SignalSet`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal as sps

from biofeedback.formats.reader import MemoryReader, SignalReader
from biofeedback.signal import PipelineConfig
from biofeedback.signal.filters import design_bandpass
from biofeedback.streams import Annotation, SignalSet


@dataclass(frozen=True)
class FileOverview:
    t: np.ndarray  # bin centres, s (file time)
    rms_uv: np.ndarray  # RMS of the band-passed pelvic-floor EMG per bin
    duration_s: float
    annotations: tuple[Annotation, ...]


def file_overview(ss: SignalSet | SignalReader, bins: int = 2000,
                  config: PipelineConfig | None = None, channel: str = "pfm",
                  chunk_s: float = 60.0) -> FileOverview:
    """The RMS of ``channel`` in ``bins`` equal bins (fewer for short files).

    One pass over the file in chunks of about ``chunk_s`` (a whole number of bins, the
    filter state carried across), so memory does not grow with the recording and the result
    equals filtering the whole channel at once.
    """
    reader = ss if isinstance(ss, SignalReader) else MemoryReader(ss)
    e = (config or PipelineConfig()).emg
    try:
        stream, col, _ = reader.find_channel(channel)
    except KeyError:
        stream, col = next(s for s in reader.streams if s.channels), 0
    fs, n_all = stream.fs, reader.n_samples(stream.name)
    annotations = tuple(reader.annotations)
    if n_all == 0:
        return FileOverview(np.zeros(0), np.zeros(0), 0.0, annotations)
    per = max(1, int(np.ceil(n_all / bins)))
    n = n_all // per
    x0 = float(np.nan_to_num(reader.read(stream.name, 0, 1)[0, col]))
    try:
        sos = design_bandpass(fs, e.band_low_hz, e.band_high_hz, e.filter_order)
        zi = np.zeros((sos.shape[0], 2))
    except ValueError:  # a rate too low for the EMG band: show the raw activity
        sos = zi = None
        mean = _mean(reader, stream.name, col)
    step = per * max(1, int(chunk_s * fs) // per)
    rms = np.empty(n)
    done = 0
    for start in range(0, n_all, step):
        x = np.nan_to_num(reader.read(stream.name, start, min(start + step, n_all))[:, col])
        if sos is not None:
            y, zi = sps.sosfilt(sos, x - x0, zi=zi)
        else:
            y = x - mean
        k = min(len(y) // per, n - done)
        if k:
            sq = y[: k * per].reshape(k, per) ** 2
            rms[done:done + k] = np.sqrt(sq.mean(axis=1))
            done += k
    t = (np.arange(n) + 0.5) * per / fs
    return FileOverview(t, rms, n_all / fs, annotations)


def _mean(reader: SignalReader, stream: str, col: int) -> float:
    n = reader.n_samples(stream)
    total = sum(float(np.nan_to_num(c[:, col]).sum())
                for c in reader.chunks(stream, 1 << 20))
    return total / n


__all__ = ["FileOverview", "file_overview"]
