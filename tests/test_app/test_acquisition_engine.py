"""The acquisition engine: source → processor → ring buffers, sinks and the message queue."""

from __future__ import annotations

import threading

import numpy as np

from biofeedback.app.acquisition import DISPLAY_HZ, AcquisitionEngine
from biofeedback.devices.base import Source
from biofeedback.devices.scenario import Scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSensor, SimulatedSignal, source_info
from biofeedback.streams import EventKind, SampleBlock, SourceInfo


class GappySource(Source):
    """Replays simulated blocks but drops a run of EMG blocks, like a lossy link would."""

    def __init__(self, drop: range) -> None:
        super().__init__()
        self.drop = drop
        self.done = threading.Event()

    def _open(self) -> SourceInfo:
        return source_info(SimulatedConfig())

    def _run(self) -> None:
        sig = SimulatedSignal(Scenario.parse("rest:3"), SimulatedConfig(seed=1))
        for i in range(150):
            emg, pressure = sig.next_blocks()
            if i in self.drop:
                self._emit_event(EventKind.GAP, "lost", stream="emg", first_index=emg.first_index,
                                 n_samples=emg.n_samples)
            else:
                self._emit_block(emg)
            self._emit_block(pressure)
        self.done.set()


class ListSink:
    def __init__(self) -> None:
        self.blocks: list[SampleBlock] = []
        self.events = []
        self.annotations = []

    def on_block(self, block):
        self.blocks.append(block)

    def on_event(self, event):
        self.events.append(event)

    def add_annotation(self, onset, duration, text):
        self.annotations.append((onset, duration, text))


class BrokenSink:
    def on_block(self, block):
        raise OSError(28, "No space left on device")

    def on_event(self, event):
        """Not needed here: this consumer only counts or ignores it."""


def _run_to_end(engine: AcquisitionEngine) -> None:
    ended = threading.Event()
    original = engine.on_event

    def on_event(ev):
        original(ev)
        if ev.kind is EventKind.END:
            ended.set()

    engine.on_event = on_event  # type: ignore[method-assign]
    engine.start()
    assert ended.wait(10)
    engine.close()


def test_engine_fills_ring_buffers_and_forwards_to_sinks():
    engine = AcquisitionEngine(SimulatedSensor("rest:2,contract:2@0.6,rest:2", speed=0))
    sink = ListSink()
    engine.sinks.append(sink)
    _run_to_end(engine)
    assert engine.emg.end_index == 12000
    assert engine.pressure.end_index == 600
    idx, env = engine.envelope.latest(10_000)
    # display point k holds EMG sample 20 k - 1: the newest point is the newest sample
    assert idx[-1] == 12000 // 20 and env.shape[1] == 2
    t = idx / DISPLAY_HZ
    assert np.nanmean(env[(t > 2.5) & (t < 4), 0]) > 4 * np.nanmean(env[(t > 0.5) & (t < 2), 0])
    assert sum(b.n_samples for b in sink.blocks if b.stream == "emg") == 12000
    kinds = [m.payload.kind for m in engine.drain() if m.kind == "source"]
    assert EventKind.CONNECTED in kinds and EventKind.END in kinds


def test_gaps_stay_gaps():
    src = GappySource(drop=range(50, 60))
    engine = AcquisitionEngine(src)
    engine.start()
    assert src.done.wait(10)
    engine.close()
    idx, emg = engine.emg.latest(100_000)
    lost = (idx >= 50 * 40) & (idx < 60 * 40)
    assert np.isnan(emg[lost]).all()
    assert np.isfinite(emg[~lost]).all()
    gaps = [m for m in engine.drain() if m.kind == "source" and m.payload.kind is EventKind.GAP]
    assert len(gaps) == 10


def test_a_failing_sink_is_dropped_and_reported_but_acquisition_goes_on():
    engine = AcquisitionEngine(SimulatedSensor("rest:1", speed=0))
    good = ListSink()
    engine.sinks.extend([BrokenSink(), good])
    _run_to_end(engine)
    errors = [m.payload for m in engine.drain() if m.kind == "sink_error"]
    assert len(errors) == 1 and "No space left" in errors[0]
    assert sum(b.n_samples for b in good.blocks if b.stream == "emg") == 2000


def test_markers_and_commands():
    engine = AcquisitionEngine(SimulatedSensor("rest:1", speed=0))
    sink = ListSink()
    engine.sinks.append(sink)
    engine.set_threshold_uv(12.5)
    _run_to_end(engine)
    assert engine.status().threshold_uv == 12.5
    t = engine.add_marker(3, "breath")
    assert sink.annotations == [(t, 0.0, "marker:3:breath")]
    assert t == 1.0


def test_recording_from_the_engine_writes_a_file_with_markers_and_contractions(tmp_path):
    from biofeedback.formats.edf import read_edf

    engine = AcquisitionEngine(SimulatedSensor("rest:3,contract:3@0.6,rest:4", speed=0))
    out = tmp_path / "session.bdf"
    journal = engine.start_recording("P007", output=out)
    assert journal.exists()
    engine.add_marker(2, "probe in")
    _run_to_end(engine)  # close() finishes the recording
    assert out.exists() and not journal.exists()
    rec = read_edf(out)
    pfm, fs, ch = rec.channel("pfm")
    assert fs == 2000 and ch.unit == "uV" and len(pfm) == 20000
    texts = [a.text for a in rec.annotations]
    assert "marker:2:probe in" in texts
    onsets = [a.onset_s for a in rec.annotations if a.text == "contraction"]
    assert len(onsets) == 1 and abs(onsets[0] - 3.0) < 0.1
    assert rec.patient_code == "P007"
