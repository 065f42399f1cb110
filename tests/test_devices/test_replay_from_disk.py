"""Replay streams from the file on disk (chunked reader), seek included, without loading it."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from biofeedback.devices.replay import ReplaySource
from biofeedback.formats.csv_reader import CsvReader
from biofeedback.formats.edf_reader import EdfReader
from biofeedback.formats.signal_file import read_signal_file, write_signal_file
from biofeedback.streams import Annotation, ChannelInfo, ChannelKind, EventKind, SignalSet, StreamInfo


def _file(tmp_path: Path, suffix: str, seconds: float = 6.3) -> Path:
    rng = np.random.default_rng(9)
    n = int(seconds * 2000)
    streams = (StreamInfo("emg", 2000.0, (ChannelInfo("pfm", ChannelKind.EMG, "uV"),
                                          ChannelInfo("abdominal", ChannelKind.EMG, "uV"))),
               StreamInfo("pressure", 100.0, (ChannelInfo("pressure", ChannelKind.PRESSURE,
                                                          "cmH2O"),)))
    data = {"emg": rng.normal(0, 5, (n, 2)),
            "pressure": 20 + rng.normal(0, 1, (int(round(seconds * 100)), 1))}
    if suffix == ".csv":  # one time base in CSV: pressure held at the EMG rate
        data["pressure"] = np.repeat(data["pressure"], 20, axis=0)[:n]
        streams = (streams[0], StreamInfo("pressure", 2000.0, streams[1].channels))
    notes = [Annotation(1.0, 0.0, "marker:1:a"), Annotation(4.5, 0.5, "marker:2:b")]
    return write_signal_file(SignalSet(streams, data, notes), tmp_path / f"rec{suffix}")


class _Tap:
    """Collects blocks; seeks once from inside the acquisition thread at a given index."""

    def __init__(self, source: ReplaySource, seek_at: int | None = None, to: float = 0.0) -> None:
        self.source, self.seek_at, self.to = source, seek_at, to
        self.blocks: list = []
        self.events: list = []
        self.done = threading.Event()

    def on_block(self, block):
        self.blocks.append(block)
        if self.seek_at is not None and block.stream == "emg" and \
                block.first_index + block.n_samples >= self.seek_at:
            self.seek_at = None
            self.source.seek(self.to)

    def on_event(self, event):
        self.events.append(event)
        if event.kind is EventKind.END:
            self.done.set()

    def emg(self) -> np.ndarray:
        return np.concatenate([b.data for b in self.blocks if b.stream == "emg"])


@pytest.mark.parametrize("suffix,reader", [(".bdf", EdfReader), (".edf", EdfReader),
                                           (".csv", CsvReader)])
@pytest.mark.parametrize("block_s", [0.02, 0.5, 2.0])
def test_replay_streams_from_disk_and_seeks_back(tmp_path, suffix, reader, block_s):
    path = _file(tmp_path, suffix)
    whole = read_signal_file(path)
    src = ReplaySource(path, speed=0, block_s=block_s, fast_block_s=block_s)
    tap = _Tap(src, seek_at=9000, to=2.0)  # at 4.5 s, jump back to 2.0 s
    src.start(tap)
    assert tap.done.wait(30)
    assert isinstance(src.reader, reader) and src._signals is None  # never loaded whole
    src.close()
    emg = tap.emg()
    ref = whole.data["emg"]
    cut = next(i for i, b in enumerate(b for b in tap.blocks if b.stream == "emg")
               if b.first_index + b.n_samples >= 9000)
    played = sum(b.n_samples for b in [b for b in tap.blocks if b.stream == "emg"][:cut + 1])
    assert np.array_equal(emg[:played], ref[:played])  # exactly the file, up to the seek
    assert np.array_equal(emg[played:], ref[4000:])  # then from 2.0 s to the end
    firsts = [b.first_index for b in tap.blocks if b.stream == "emg"]
    assert np.all(np.diff(firsts) > 0)  # indices keep increasing across the jump
    seeks = [e for e in tap.events if e.kind is EventKind.STATUS and "seek_s" in e.detail]
    assert [e.detail["seek_s"] for e in seeks] == [2.0]
    texts = [e.detail["text"] for e in tap.events if e.kind is EventKind.ANNOTATION]
    # 4.5 s is passed once more after the jump; a second time if the block that asked for the
    # seek already went past it
    assert texts == ["marker:1:a"] + ["marker:2:b"] * (2 if played > 9000 else 1)


def test_seek_before_start_plays_only_the_rest(tmp_path):
    path = _file(tmp_path, ".bdf")
    ref = read_signal_file(path).data
    src = ReplaySource(path, speed=0)
    src.open()
    src.seek(5.0)
    tap = _Tap(src)
    src.start(tap)
    assert tap.done.wait(30)
    src.close()
    assert np.array_equal(tap.emg(), ref["emg"][10000:])
    pressure = np.concatenate([b.data for b in tap.blocks if b.stream == "pressure"])
    assert np.array_equal(pressure, ref["pressure"][500:])
    texts = [e.detail["text"] for e in tap.events if e.kind is EventKind.ANNOTATION]
    assert texts == []  # both markers lie before 5 s
