"""The overview strip's pass over a file: chunked, bounded, equal to the whole-array result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import signal as sps

from biofeedback.app.overview import file_overview
from biofeedback.formats.signal_file import open_signal_file, read_signal_file, write_signal_file
from biofeedback.signal import PipelineConfig
from biofeedback.signal.filters import design_bandpass
from biofeedback.streams import ChannelInfo, ChannelKind, SignalSet, StreamInfo


def _reference(x: np.ndarray, fs: float, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """The whole-array computation the overview had before it read in chunks."""
    e = PipelineConfig().emg
    y = sps.sosfilt(design_bandpass(fs, e.band_low_hz, e.band_high_hz, e.filter_order), x - x[0])
    per = max(1, int(np.ceil(len(y) / bins)))
    n = len(y) // per
    rms = np.sqrt((y[: n * per].reshape(n, per) ** 2).mean(axis=1))
    return (np.arange(n) + 0.5) * per / fs, rms


@pytest.mark.parametrize("seconds,bins,chunk_s", [(12.3, 2000, 1.0), (7.0, 50, 0.37),
                                                  (3.0, 10_000, 60.0)])
def test_chunked_overview_equals_the_whole_array_pass(tmp_path: Path, seconds: float, bins: int,
                                                      chunk_s: float) -> None:
    rng = np.random.default_rng(4)
    n = int(seconds * 2000)
    emg = rng.normal(0, 3, (n, 1))
    emg[n // 3:n // 3 + 2000, 0] *= 40
    ss = SignalSet((StreamInfo("emg", 2000.0, (ChannelInfo("pfm", ChannelKind.EMG, "uV"),)),),
                   {"emg": emg})
    path = write_signal_file(ss, tmp_path / "r.bdf")
    whole = read_signal_file(path)
    t_ref, rms_ref = _reference(whole.data["emg"][:, 0], 2000.0, bins)
    with open_signal_file(path) as reader:
        ov = file_overview(reader, bins, chunk_s=chunk_s)
    assert np.array_equal(ov.t, t_ref)
    assert np.allclose(ov.rms_uv, rms_ref, rtol=1e-12, atol=0)
    assert ov.duration_s == pytest.approx(seconds)
    assert int(np.argmax(ov.rms_uv)) * seconds / len(ov.rms_uv) == pytest.approx(
        seconds / 3, abs=1.1)
