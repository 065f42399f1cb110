"""The vocabulary every layer shares: channels, streams, sample blocks and source events.

A *stream* is a group of channels sampled together at one rate (EMG at 2 kHz, pressure at
100 Hz). Sources deliver :class:`SampleBlock` objects per stream; each block carries the
absolute index of its first sample, so a gap is an index jump, never a wall-clock guess.
Pure data classes: no I/O, no threads, no Qt.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class ChannelKind(enum.StrEnum):
    """What a channel measures; decides which pipeline processes it."""

    EMG = "emg"
    PRESSURE = "pressure"
    OTHER = "other"


@dataclass(frozen=True)
class ChannelInfo:
    """One physical channel.

    ``name`` is a short machine name (``pfm``, ``abdominal``, ``pressure``); ``label`` is shown
    to people. ``resolution`` is the physical size of one ADC step (0 when unknown).
    """

    name: str
    kind: ChannelKind
    unit: str
    label: str = ""
    physical_min: float = -1e4
    physical_max: float = 1e4
    resolution: float = 0.0

    @property
    def display_label(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class StreamInfo:
    """Channels that share one sample clock."""

    name: str
    fs: float
    channels: tuple[ChannelInfo, ...]

    def channel_index(self, name: str) -> int:
        for i, ch in enumerate(self.channels):
            if ch.name == name:
                return i
        raise KeyError(f"stream {self.name!r} has no channel {name!r}")


@dataclass(frozen=True)
class SourceInfo:
    """What a source says about itself once opened (the HELLO of a real sensor)."""

    name: str
    kind: str  # "simulated", "serial", "replay"
    streams: tuple[StreamInfo, ...]
    serial_number: str = ""
    firmware: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def stream(self, name: str) -> StreamInfo:
        for s in self.streams:
            if s.name == name:
                return s
        raise KeyError(f"source {self.name!r} has no stream {name!r}")

    def find_channel(self, name: str) -> tuple[StreamInfo, int]:
        """Return the stream holding channel ``name`` and its column index."""
        for s in self.streams:
            for i, ch in enumerate(s.channels):
                if ch.name == name:
                    return s, i
        raise KeyError(f"source {self.name!r} has no channel {name!r}")


class BlockFlag(enum.IntFlag):
    """Per-block status bits, mirroring the sensor protocol's status flags."""

    NONE = 0
    LEAD_OFF = 1
    SATURATED = 2
    OVERRUN = 4
    TEST_SIGNAL = 8
    BATTERY_LOW = 16
    SYNTHETIC = 32


@dataclass(frozen=True)
class SampleBlock:
    """Consecutive samples of one stream.

    ``data`` has shape ``(n_samples, n_channels)``, float64, in each channel's physical unit.
    ``first_index`` is the absolute index of ``data[0]`` since the source started; ``t0`` is
    the time of that sample in seconds on the source's clock (host-mapped for real devices).
    """

    stream: str
    first_index: int
    t0: float
    fs: float
    data: np.ndarray
    flags: BlockFlag = BlockFlag.NONE

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[0])

    @property
    def end_index(self) -> int:
        return self.first_index + self.n_samples


class EventKind(enum.StrEnum):
    """Things a source reports besides samples."""

    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    RECONNECTING = "reconnecting"
    GAP = "gap"  # samples lost: detail has stream, first_index, n_samples
    STATUS = "status"  # battery, lead-off, link quality
    ANNOTATION = "annotation"  # replayed or device-side marker
    END = "end"  # finite source (file replay) reached its end
    ERROR = "error"  # unrecoverable: the source stopped


@dataclass(frozen=True)
class SourceEvent:
    kind: EventKind
    message: str
    time: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Annotation:
    """A time-stamped note on a recording: protocol step, marker, detected event, device gap."""

    onset_s: float
    duration_s: float
    text: str


@dataclass
class SignalSet:
    """A whole recording in memory: one ``(n_samples, n_channels)`` array per stream.

    What file readers return and writers take, so analysis, conversion and replay share one
    shape whatever the file format (EDF+/BDF+, CSV, the app's own recordings).
    """

    streams: tuple[StreamInfo, ...]
    data: dict[str, np.ndarray]
    annotations: list[Annotation] = field(default_factory=list)
    start_time: Any = None  # datetime.datetime of the first sample, when known
    patient_code: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return max((len(self.data[s.name]) / s.fs for s in self.streams), default=0.0)

    def channel(self, name: str) -> tuple[np.ndarray, float, ChannelInfo]:
        """Samples ``(n,)``, sample rate and description of one channel, by name."""
        for s in self.streams:
            for i, ch in enumerate(s.channels):
                if ch.name == name:
                    return self.data[s.name][:, i], s.fs, ch
        names = [ch.name for s in self.streams for ch in s.channels]
        raise KeyError(f"no channel {name!r}; channels are {', '.join(names)}")
