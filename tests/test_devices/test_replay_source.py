"""ReplaySource: pacing, pause, seek, annotations, END, and live == offline detection."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from waiting import settled, wait_until

from biofeedback.app.acquisition import AcquisitionEngine
from biofeedback.devices.base import SourceError
from biofeedback.devices.factory import open_source
from biofeedback.devices.replay import ReplaySource
from biofeedback.devices.scenario import Scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal, source_info
from biofeedback.formats.edf import read_edf, write_edf
from biofeedback.signal import analyze
from biofeedback.streams import Annotation, EventKind, SignalSet


def _signals(seconds: float = 2.0) -> SignalSet:
    sig = SimulatedSignal(Scenario.parse("rest:2,contract:2@0.6,rest:4"), SimulatedConfig())
    blocks = list(sig.generate(seconds))
    info = source_info(SimulatedConfig())
    data = {s: np.concatenate([b.data for b in blocks if b.stream == s]) for s in ("emg",
                                                                                    "pressure")}
    notes = [Annotation(0.5, 0.0, "marker:1:start"), Annotation(1.5, 0.2, "contraction")]
    return SignalSet(info.streams, data, notes)


class Collector:
    def __init__(self) -> None:
        self.blocks: list = []
        self.events: list = []
        self.ended = threading.Event()
        self.t_end = 0.0

    def on_block(self, block):
        self.blocks.append(block)

    def on_event(self, event):
        self.events.append(event)
        if event.kind is EventKind.END:
            self.t_end = time.monotonic()
            self.ended.set()

    def stream(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        bl = [b for b in self.blocks if b.stream == name]
        return np.concatenate([b.data for b in bl]), np.array([b.first_index for b in bl])


def _play(source: ReplaySource, timeout: float = 20.0) -> tuple[Collector, float]:
    c = Collector()
    t0 = time.monotonic()
    source.start(c)
    assert c.ended.wait(timeout)
    source.close()
    return c, c.t_end - t0


def test_plays_every_sample_in_order_with_annotations_and_end():
    ss = _signals(2.0)
    c, _ = _play(ReplaySource(ss, speed=0))
    emg, firsts = c.stream("emg")
    np.testing.assert_array_equal(emg, ss.data["emg"])
    np.testing.assert_array_equal(c.stream("pressure")[0], ss.data["pressure"])
    assert firsts[0] == 0 and np.all(np.diff(firsts) == 4000)  # 2-s blocks at full speed
    anns = [e for e in c.events if e.kind is EventKind.ANNOTATION]
    assert [(e.detail["onset_s"], e.detail["text"]) for e in anns] == [
        (0.5, "marker:1:start"), (1.5, "contraction")]
    assert anns[1].detail["duration_s"] == 0.2
    assert c.events[-1].kind is EventKind.END
    # the annotation is emitted with the block that contains its onset, not before
    i_ann = c.events.index(anns[0])
    assert i_ann >= 0 and anns[0].detail["time_s"] == 0.5


@pytest.mark.parametrize("speed,expected", [(10.0, 0.2), (4.0, 0.5)])
def test_speed_paces_playback(speed, expected):
    _, took = _play(ReplaySource(_signals(2.0), speed=speed))
    assert expected * 0.9 < took < expected + 0.25, took


def test_as_fast_as_possible_is_much_faster_than_real_time():
    _, took = _play(ReplaySource(_signals(4.0), speed=0))
    assert took < 0.5


def test_pause_holds_and_resume_continues():
    src = ReplaySource(_signals(2.0), speed=4.0)
    c = Collector()
    src.start(c)
    wait_until(lambda: len(c.blocks) >= 4, what="the first blocks")
    src.pause()
    n, pos = settled(lambda: (len(c.blocks), src.position_s))  # the block in flight landed
    assert not c.ended.wait(0.3)  # paused: 0.3 s (1.2 s of file at 4x) brings nothing more
    assert len(c.blocks) == n and src.position_s == pos and 0 < pos < 2.0
    src.resume()
    assert c.ended.wait(5)
    src.close()
    np.testing.assert_array_equal(c.stream("emg")[0], src.signals.data["emg"])


def test_seek_jumps_with_increasing_indices_and_replays_annotations():
    ss = _signals(2.0)
    src = ReplaySource(ss, speed=1.0)
    c = Collector()
    src.open()
    src.pause()
    src.start(c)
    src.seek(1.0)
    wait_until(lambda: src.position_s == pytest.approx(1.0), what="the seek")
    src.speed = 0
    src.resume()
    assert c.ended.wait(5)
    src.seek(0.4)  # a seek after the end is harmless
    src.close()
    status = [e for e in c.events if e.kind is EventKind.STATUS]
    assert status and status[0].detail["seek_s"] == 1.0
    emg, firsts = c.stream("emg")
    np.testing.assert_array_equal(emg, ss.data["emg"][2000:])
    assert firsts[0] == 0 and np.all(np.diff(firsts) > 0)
    texts = [e.detail["text"] for e in c.events if e.kind is EventKind.ANNOTATION]
    assert texts == ["contraction"]  # the 0.5 s marker lies before the seek target


def test_loop_restarts_and_stop_is_prompt():
    src = ReplaySource(_signals(0.4), speed=0, loop=True)
    c = Collector()
    src.start(c)
    wait_until(lambda: sum(e.kind is EventKind.STATUS for e in c.events) >= 2,
               what="two loops")
    t = time.monotonic()
    src.close()
    assert time.monotonic() - t < 1.0
    seeks = [e for e in c.events if e.kind is EventKind.STATUS]
    assert len(seeks) >= 2 and not c.ended.is_set()
    firsts = c.stream("emg")[1]
    assert np.all(np.diff(firsts) > 0)


def test_factory_opens_files_and_reports_bad_ones(tmp_path):
    path = write_edf(_signals(1.0), tmp_path / "r.bdf")
    src = open_source(f"replay:{path}", speed=0)
    info = src.open()
    assert info.kind == "replay" and [s.name for s in info.streams] == ["emg", "pressure"]
    assert src.duration_s == pytest.approx(1.0)
    src.close()
    bad = tmp_path / "bad.edf"
    bad.write_bytes(b"garbage" * 10)
    with pytest.raises(SourceError, match="bad.edf: wrong header"):
        open_source(str(bad)).open()
    with pytest.raises(SourceError, match="speed"):
        ReplaySource(path, speed=-1)


@pytest.mark.slow
def test_replay_at_10x_through_the_engine_equals_offline_analysis(tmp_path):
    scenario = Scenario.parse("rest:8,contract:3@0.6,rest:6,contract:3@0.5,rest:6")
    sig = SimulatedSignal(scenario, SimulatedConfig(seed=3))
    blocks = list(sig.generate(scenario.duration_s))
    info = source_info(SimulatedConfig())
    data = {s: np.concatenate([b.data for b in blocks if b.stream == s]) for s in ("emg",
                                                                                    "pressure")}
    path = write_edf(SignalSet(info.streams, data), tmp_path / "session.bdf")

    offline = analyze(read_edf(path).data["emg"], 2000.0)
    want = [(e.onset_index, e.offset_index, round(e.peak_uv, 6)) for e in offline.events
            if e.offset_index is not None and not e.truncated]
    assert len(want) == 2

    engine = AcquisitionEngine(ReplaySource(path, speed=10))
    live: dict[int, object] = {}
    ended = False
    t0 = time.monotonic()
    engine.start()
    while not ended and time.monotonic() - t0 < 30:
        time.sleep(0.05)
        for m in engine.drain():
            if m.kind == "contraction":
                live[m.payload.id] = m.payload
            elif m.kind == "source" and m.payload.kind is EventKind.END:
                ended = True
    took = time.monotonic() - t0
    engine.close()
    assert ended and 0.8 * scenario.duration_s / 10 < took < scenario.duration_s / 10 + 2
    got = [(e.onset_index, e.offset_index, round(e.peak_uv, 6)) for e in live.values()
           if e.offset_index is not None and not e.truncated]
    assert got == want
