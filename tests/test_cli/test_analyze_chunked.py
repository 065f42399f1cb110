"""``analyze`` reads in chunks: the same findings as analysing the whole file at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biofeedback.cli import analyze as analyze_cli
from biofeedback.formats.signal_file import read_signal_file, write_signal_file
from biofeedback.signal import analyze
from biofeedback.streams import ChannelInfo, ChannelKind, SignalSet, StreamInfo


def _recording(seconds: float = 40.0) -> SignalSet:
    rng = np.random.default_rng(5)
    n = int(seconds * 2000)
    t = np.arange(n) / 2000
    env = 1 + 20 * (((t > 12) & (t < 16)) | ((t > 27) & (t < 30)))
    emg = rng.normal(0, 1.5, (n, 2)) * env[:, None] * [1.0, 0.3]
    streams = (StreamInfo("emg", 2000.0, (ChannelInfo("pfm", ChannelKind.EMG, "uV"),
                                          ChannelInfo("abdominal", ChannelKind.EMG, "uV"))),)
    return SignalSet(streams, {"emg": emg})


@pytest.mark.parametrize("suffix", [".bdf", ".edf", ".csv"])
def test_chunked_analysis_finds_what_the_whole_file_analysis_finds(tmp_path: Path, monkeypatch,
                                                                    suffix: str) -> None:
    path = write_signal_file(_recording(), tmp_path / f"rec{suffix}")
    whole = read_signal_file(path)
    ref = analyze(whole.data["emg"], 2000.0, channels=["pfm", "abdominal"]).to_json_dict()
    chunks: list[int] = []
    real = analyze_cli.EmgSelection.chunks

    def counted(self, reader, chunk_s=analyze_cli.CHUNK_S):
        for block in real(self, reader, 3.7):  # odd chunk boundaries
            chunks.append(len(block))
            yield block

    monkeypatch.setattr(analyze_cli.EmgSelection, "chunks", counted)
    got = analyze_cli.run_analysis(path)
    assert len(chunks) > 5 and max(chunks) == 7400  # really read piece by piece
    assert got["n_samples"] == ref["n_samples"] and got["channels"] == ref["channels"]
    assert got["contractions"] == ref["contractions"]
    assert got["baseline"] == ref["baseline"] and got["threshold_uv"] == ref["threshold_uv"]
    assert got["quality"] == ref["quality"]
    for name, m in ref["metrics"].items():  # accumulated metrics: equal up to summation order
        for key, v in m.items():
            if isinstance(v, float):
                assert got["metrics"][name][key] == pytest.approx(v, rel=1e-9, abs=1e-12), key
            else:
                assert got["metrics"][name][key] == v, (name, key)
