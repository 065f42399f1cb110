"""Plays the feedback tone through Qt Multimedia: a QAudioSink pulling PCM from the pure
:class:`~biofeedback.app.tone.ToneGenerator`.

The sink pulls from a small QIODevice (:class:`ToneDevice`) whose ``readData`` renders exactly
the bytes asked for, so nothing is queued ahead beyond the sink's ~100 ms buffer (the pitch
answers the meter within that) and nothing blocks the GUI: rendering 100 ms of audio is a few
numpy operations. The GUI only calls :meth:`ToneOutput.update` with the meter view; the
generator hands the targets to the rendering side under a lock.

Without sound (Qt Multimedia cannot load, e.g. ``libpulse.so.0`` missing; no output device, as
on a headless CI machine; or the device fails) the output is disabled, never an error:
``available`` is False and ``note`` says so in one line for the window to show ("No audio
device: the tone is off"). The generator still follows the meter, so a session's tone state
can be checked anywhere.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
from PyQt6.QtCore import QIODevice, QObject, pyqtSignal

from biofeedback.app.feedback import MeterView
from biofeedback.app.tone import ToneConfig, ToneGenerator, ToneStatus

BUFFER_S = 0.1  # the sink's buffer: the tone's latency behind the meter
NO_DEVICE_NOTE = "No audio device: the tone is off"


def _load_multimedia() -> ModuleType:
    """PyQt6.QtMultimedia, imported only when a tone output is made (it needs system audio
    libraries that a machine without sound may lack)."""
    from PyQt6 import QtMultimedia

    return QtMultimedia


#: open unbuffered: QIODevice's own read-ahead (16 KiB, ~190 ms of mono 16-bit audio) would
#: add latency behind the meter and split frames
OPEN_MODE = QIODevice.OpenModeFlag.ReadOnly | QIODevice.OpenModeFlag.Unbuffered


class ToneDevice(QIODevice):
    """A read-only, endless QIODevice (open it with :data:`OPEN_MODE`): every read renders the
    next whole frames of the tone."""

    def __init__(self, generator: ToneGenerator, channels: int = 1, sample_format: str = "int16",
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        if sample_format not in ("int16", "float32"):
            raise ValueError(f"unsupported sample format {sample_format!r}")
        self.generator = generator
        self.channels = max(1, int(channels))
        self.sample_format = sample_format
        self.frame_bytes = (2 if sample_format == "int16" else 4) * self.channels

    def isSequential(self) -> bool:
        return True

    def bytesAvailable(self) -> int:
        return super().bytesAvailable() + self.frame_bytes * self.generator.sample_rate

    def readData(self, maxlen: int) -> bytes:
        frames = int(maxlen) // self.frame_bytes
        return self.render_bytes(frames)

    def writeData(self, data: Any) -> int:
        return -1

    def render_bytes(self, frames: int) -> bytes:
        """``frames`` frames of the tone in this device's format (native byte order)."""
        x = self.generator.render(frames)
        samples = (np.round(x * 32767.0).astype(np.int16) if self.sample_format == "int16"
                   else x.astype(np.float32))
        if self.channels > 1:
            samples = np.repeat(samples[:, None], self.channels, axis=1)
        return samples.tobytes()


class ToneOutput(QObject):
    """The tone, heard: create once, ``start()``, feed ``update(view, now_s)`` from the refresh
    timer, ``stop()`` at the end. Never raises for a missing or failing audio device."""

    #: the note changed (the output was disabled while running, e.g. a device error)
    note_changed = pyqtSignal(str)

    def __init__(self, parent: QObject | None = None, *, config: ToneConfig | None = None,
                 volume: float = 0.5, muted: bool = False, silent_below_line: bool = True) -> None:
        super().__init__(parent)
        self.available = False
        self.note = ""
        self._sink: Any = None
        self._device: ToneDevice | None = None
        self._mm: ModuleType | None = None
        config = config or ToneConfig()
        fmt = self._open_audio(config.sample_rate)
        if fmt is not None:
            rate, channels, sample_format, qformat, qdevice = fmt
            config = ToneConfig(**{**config.__dict__, "sample_rate": rate})
        self.generator = ToneGenerator(config, volume=volume, muted=muted,
                                       silent_below_line=silent_below_line)
        if fmt is not None:
            self._device = ToneDevice(self.generator, channels, sample_format, self)
            self._make_sink(qdevice, qformat)

    # -- the GUI's calls -------------------------------------------------------------------
    def update(self, view: MeterView, now_s: float) -> None:
        self.generator.update(view, now_s)

    def set_volume(self, volume: float) -> None:
        self.generator.set_volume(volume)

    def set_muted(self, muted: bool) -> None:
        self.generator.set_muted(muted)

    def set_silent_below_line(self, silent: bool) -> None:
        self.generator.set_silent_below_line(silent)

    def status(self) -> ToneStatus:
        return self.generator.status()

    @property
    def running(self) -> bool:
        if self._sink is None or self._mm is None:
            return False
        state = self._mm.QAudio.State
        return self._sink.state() in (state.ActiveState, state.IdleState)

    def start(self) -> bool:
        """Start playing (silence until a view asks for a tone); False when unavailable."""
        if not self.available or self._sink is None or self._device is None:
            return False
        if self.running:
            return True
        if not self._device.isOpen():
            self._device.open(OPEN_MODE)
        self._sink.start(self._device)
        if self._sink.error() != self._mm.QAudio.Error.NoError:
            self._disable(f"The sound output did not start ({self._sink.error().name}): "
                          "the tone is off")
            return False
        return True

    def stop(self) -> None:
        if self._sink is not None:
            self._sink.stop()
        if self._device is not None and self._device.isOpen():
            self._device.close()

    # -- set-up ----------------------------------------------------------------------------
    def _open_audio(self, rate: int) -> tuple[int, int, str, Any, Any] | None:
        """The output device and format, or None (with ``note`` saying why)."""
        try:
            mm = _load_multimedia()
        except (ImportError, OSError) as exc:
            self.note = f"No sound system (Qt Multimedia: {_short(exc)}): the tone is off"
            return None
        device = mm.QMediaDevices.defaultAudioOutput()
        if device.isNull():
            self.note = NO_DEVICE_NOTE
            return None
        fmt = _choose_format(mm, device, rate)
        if fmt is None:
            self.note = "The audio device plays no format the tone can make: the tone is off"
            return None
        self._mm = mm
        return (*fmt, device)

    def _make_sink(self, qdevice: Any, qformat: Any) -> None:
        assert self._mm is not None and self._device is not None
        self._sink = self._mm.QAudioSink(qdevice, qformat, self)
        self._sink.setBufferSize(int(BUFFER_S * qformat.sampleRate()) * self._device.frame_bytes)
        self._sink.stateChanged.connect(self._on_state)
        self.available = True
        self.note = ""

    def _on_state(self, _state: Any) -> None:
        assert self._mm is not None
        err = self._sink.error()
        errors = self._mm.QAudio.Error
        if err in (errors.OpenError, errors.IOError, errors.FatalError):
            self._disable(f"The sound output stopped ({err.name}): the tone is off")

    def _disable(self, note: str) -> None:
        self.available = False
        self.note = note
        self.stop()
        self.note_changed.emit(note)


def _choose_format(mm: ModuleType, device: Any, rate: int) -> tuple[int, int, str, Any] | None:
    """Mono 16-bit at ``rate`` when the device takes it, else its preferred format if that is
    16-bit or float: (rate, channels, "int16"|"float32", QAudioFormat)."""
    sf = mm.QAudioFormat.SampleFormat
    fmt = mm.QAudioFormat()
    fmt.setSampleRate(int(rate))
    fmt.setChannelCount(1)
    fmt.setSampleFormat(sf.Int16)
    if not device.isFormatSupported(fmt):
        fmt = device.preferredFormat()
    kinds = {sf.Int16: "int16", sf.Float: "float32"}
    if fmt.sampleFormat() not in kinds or fmt.sampleRate() <= 0 or fmt.channelCount() <= 0:
        return None
    return fmt.sampleRate(), fmt.channelCount(), kinds[fmt.sampleFormat()], fmt


def _short(exc: BaseException) -> str:
    text = str(exc).split(":")[0].strip() or type(exc).__name__
    return text if len(text) <= 60 else text[:57] + "..."


__all__ = ["NO_DEVICE_NOTE", "OPEN_MODE", "ToneDevice", "ToneOutput"]
