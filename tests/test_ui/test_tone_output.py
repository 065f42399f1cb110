"""The tone's Qt output: plays through QtMultimedia when there is a device, and without one (or
without Qt Multimedia at all) is silently off with a note the window can show."""

from __future__ import annotations

import enum
from types import SimpleNamespace
from typing import ClassVar

import numpy as np
import pytest

from biofeedback.app.feedback import MeterView, tone_hz
from biofeedback.app.tone import ToneGenerator
from biofeedback.signal import FeedbackState
from biofeedback.ui import tone_output
from biofeedback.ui.tone_output import OPEN_MODE, ToneDevice, ToneOutput


def _tight() -> MeterView:
    s = FeedbackState.TIGHT
    return MeterView(s, "Tight", "", 0.6, 0.25, 12.0, 5.0, 20.0, 0.0, None,
                     tone_hz(s, 12.0, 5.0, 20.0))


def test_output_is_safe_with_or_without_a_device(qtbot):
    out = ToneOutput()
    out.update(_tight(), 0.0)  # the generator follows the meter either way
    assert out.status().target_hz == pytest.approx(_tight().tone_hz)
    if out.available:
        assert out.note == ""
        assert out.start()
        qtbot.waitUntil(lambda: out.running, timeout=3000)
    else:
        assert out.note.endswith("the tone is off")
        assert not out.start()
        assert not out.running
    out.stop()
    assert not out.running


def test_no_device_gives_the_note(qtbot):
    out = ToneOutput()
    if out.available:
        pytest.skip("this machine has an audio output")
    assert out.note in (tone_output.NO_DEVICE_NOTE,) or out.note.startswith("No sound system")
    out.set_volume(0.9)
    out.set_muted(True)
    out.set_silent_below_line(False)
    st = out.status()
    assert (st.volume, st.muted, st.silent_below_line) == (0.9, True, False)


def test_missing_qt_multimedia_gives_a_note(qtbot, monkeypatch):
    def no_multimedia():
        raise ImportError("libpulse.so.0: cannot open shared object file: No such file")

    monkeypatch.setattr(tone_output, "_load_multimedia", no_multimedia)
    out = ToneOutput()
    assert not out.available
    assert out.note == "No sound system (Qt Multimedia: libpulse.so.0): the tone is off"
    assert not out.start()
    out.stop()


def test_device_with_audio_starts_and_stops(qtbot):
    out = ToneOutput()
    if not out.available:
        pytest.skip(f"no audio output here: {out.note}")
    assert out.start()
    out.update(_tight(), 0.0)
    qtbot.waitUntil(lambda: out.running, timeout=3000)
    out.stop()
    qtbot.waitUntil(lambda: not out.running, timeout=3000)


def test_tone_device_serves_the_generator_samples(qtbot):
    gen, twin = ToneGenerator(volume=1.0), ToneGenerator(volume=1.0)
    for g in (gen, twin):
        g.update(_tight(), 0.0)
    dev = ToneDevice(gen)
    assert dev.open(OPEN_MODE)
    assert dev.isSequential()
    assert dev.bytesAvailable() > 0
    data = dev.read(2 * 4410 + 1)  # an odd byte count: whole frames only
    assert len(data) == 2 * 4410
    np.testing.assert_array_equal(np.frombuffer(data, dtype=np.int16), twin.render_int16(4410))
    assert np.abs(np.frombuffer(dev.read(8820), dtype=np.int16)).max() > 1000
    dev.close()


def test_tone_device_stereo_float(qtbot):
    gen = ToneGenerator(volume=1.0)
    gen.update(_tight(), 0.0)
    dev = ToneDevice(gen, channels=2, sample_format="float32")
    x = np.frombuffer(dev.render_bytes(1000), dtype=np.float32).reshape(-1, 2)
    assert x.shape == (1000, 2)
    np.testing.assert_array_equal(x[:, 0], x[:, 1])
    with pytest.raises(ValueError):
        ToneDevice(gen, sample_format="uint8")


# -- the device path, on a fake Qt Multimedia (CI machines have no sound card) ---------------
class _State(enum.Enum):
    ActiveState = 0
    SuspendedState = 1
    StoppedState = 2
    IdleState = 3


class _Error(enum.Enum):
    NoError = 0
    OpenError = 1
    IOError = 2
    UnderrunError = 3
    FatalError = 4


class _SampleFormat(enum.Enum):
    Unknown = 0
    UInt8 = 1
    Int16 = 2
    Int32 = 3
    Float = 4


class _Format:
    SampleFormat = _SampleFormat

    def __init__(self, rate: int = 0, channels: int = 0,
                 fmt: _SampleFormat = _SampleFormat.Unknown) -> None:
        self.rate, self.channels, self.fmt = rate, channels, fmt

    def setSampleRate(self, r): self.rate = r
    def setChannelCount(self, c): self.channels = c
    def setSampleFormat(self, f): self.fmt = f
    def sampleRate(self): return self.rate
    def channelCount(self): return self.channels
    def sampleFormat(self): return self.fmt


class _Device:
    def __init__(self, takes_mono_int16: bool, preferred: _Format) -> None:
        self.takes, self.preferred = takes_mono_int16, preferred

    def isNull(self): return False
    def preferredFormat(self): return self.preferred

    def isFormatSupported(self, f):
        return self.takes and (f.channels, f.fmt) == (1, _SampleFormat.Int16)


class _Signal:
    def __init__(self) -> None:
        self.slots = []

    def connect(self, slot): self.slots.append(slot)
    def emit(self, *a):
        for slot in self.slots:
            slot(*a)


class _Sink:
    made: ClassVar[list[_Sink]] = []

    def __init__(self, device, fmt, parent) -> None:
        self.fmt, self.buffer, self.pulled = fmt, 0, b""
        self._state, self._error = _State.StoppedState, _Error.NoError
        self.stateChanged = _Signal()
        _Sink.made.append(self)

    def setBufferSize(self, n): self.buffer = n
    def state(self): return self._state
    def error(self): return self._error

    def start(self, io):  # pull mode: the sink reads its buffer from the device
        self._state = _State.ActiveState
        self.pulled = io.read(self.buffer)

    def stop(self): self._state = _State.StoppedState

    def fail(self):
        self._error, self._state = _Error.FatalError, _State.StoppedState
        self.stateChanged.emit(self._state)


def _fake_multimedia(monkeypatch, device: _Device) -> None:
    mm = SimpleNamespace(QAudio=SimpleNamespace(State=_State, Error=_Error), QAudioFormat=_Format,
                         QAudioSink=_Sink,
                         QMediaDevices=SimpleNamespace(defaultAudioOutput=lambda: device))
    _Sink.made.clear()
    monkeypatch.setattr(tone_output, "_load_multimedia", lambda: mm)


def test_with_a_device_the_sink_pulls_the_tone(qtbot, monkeypatch):
    _fake_multimedia(monkeypatch, _Device(True, _Format()))
    out = ToneOutput(volume=1.0)
    assert out.available and out.note == ""
    out.update(_tight(), 0.0)
    assert out.start()
    assert out.running
    sink = _Sink.made[-1]
    assert (sink.fmt.rate, sink.fmt.channels) == (44100, 1)
    assert sink.buffer == 4410 * 2  # 100 ms of mono 16-bit
    pcm = np.frombuffer(sink.pulled, dtype=np.int16)
    assert len(pcm) == 4410 and np.abs(pcm).max() > 1000
    out.stop()
    assert not out.running
    assert out.start()  # can start again


def test_device_preferred_format_is_used_when_mono_16_bit_is_not(qtbot, monkeypatch):
    _fake_multimedia(monkeypatch, _Device(False, _Format(48000, 2, _SampleFormat.Float)))
    out = ToneOutput()
    assert out.available
    assert out.generator.sample_rate == 48000
    assert out.start()
    assert len(_Sink.made[-1].pulled) == 4800 * 2 * 4  # 100 ms, stereo float32


def test_device_with_an_unusable_format_is_off(qtbot, monkeypatch):
    _fake_multimedia(monkeypatch, _Device(False, _Format(48000, 2, _SampleFormat.UInt8)))
    out = ToneOutput()
    assert not out.available
    assert out.note.endswith("the tone is off")


def test_a_device_error_while_playing_turns_the_tone_off_with_a_note(qtbot, monkeypatch):
    _fake_multimedia(monkeypatch, _Device(True, _Format()))
    out = ToneOutput()
    notes: list[str] = []
    out.note_changed.connect(notes.append)
    assert out.start()
    _Sink.made[-1].fail()
    assert not out.available and not out.running
    assert notes == ["The sound output stopped (FatalError): the tone is off"]
    assert out.note == notes[0]
    assert not out.start()
