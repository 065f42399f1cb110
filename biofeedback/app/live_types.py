"""Typed events and values the live-session layer publishes (plain dataclasses, no Qt)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from biofeedback.signal import ContractionEvent
from biofeedback.streams import Annotation, SourceEvent


class SessionError(RuntimeError):
    """A session action failed; the message is one line meant for the user."""


class SessionPhase(enum.StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"  # replay paused
    ENDED = "ended"  # end of a file
    FAILED = "failed"  # the source stopped with an error


class LinkState(enum.StrEnum):
    """How the data link is doing, in the words the link row shows."""

    IDLE = "idle"
    CONNECTED = "connected"
    SIMULATED = "simulated"
    REPLAY = "replay"
    NOT_ANSWERING = "not_answering"
    DISCONNECTED = "disconnected"
    RECONNECTING = "reconnecting"
    ENDED = "ended"
    FAILED = "failed"


class NoticeKind(enum.Enum):
    """Banner kinds, most important first: a disconnect is never hidden by a gap message."""

    DISCONNECTED = 0
    RECONNECTING = 1
    NOT_ANSWERING = 2
    SOURCE_ERROR = 3
    RECORDING = 4
    STRAIN = 5
    QUALITY = 6
    HUM = 7
    GAP = 8
    OUTLET = 9  # streaming to other programs (LSL) stopped: the session goes on

    @property
    def priority(self) -> int:
        return self.value


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    text: str


@dataclass(frozen=True)
class ReplayPosition:
    position_s: float
    duration_s: float
    paused: bool
    speed: float


@dataclass(frozen=True)
class Traces:
    """Plot data on the display clock; NaN marks a gap (drawn as a break)."""

    emg_t: np.ndarray
    emg: np.ndarray  # (n, emg channels) filtered µV
    env_t: np.ndarray
    envelope: np.ndarray  # (m, emg channels) µV RMS at DISPLAY_HZ
    feedback: np.ndarray  # (m,) FeedbackState codes (NaN before any)
    pressure_t: np.ndarray
    pressure: np.ndarray  # (k, 1) cmH2O


# -- events (LiveSession.poll) ---------------------------------------------------------------
@dataclass(frozen=True)
class ContractionFinished:
    event: ContractionEvent
    onset_s: float  # display clock


@dataclass(frozen=True)
class LinkChanged:
    state: LinkState
    message: str


@dataclass(frozen=True)
class MarkerAdded:
    number: int
    label: str
    time_s: float  # display clock: what the file will say
    recorded: bool


@dataclass(frozen=True)
class RecordingStarted:
    journal: Path


@dataclass(frozen=True)
class RecordingSaved:
    path: Path


@dataclass(frozen=True)
class RecordingFailed:
    message: str
    saved: Path | None


@dataclass(frozen=True)
class EndOfRecording:
    time_s: float


@dataclass(frozen=True)
class FileAnnotation:
    """An annotation stored in the replayed file, reached by playback (file time)."""

    annotation: Annotation


@dataclass(frozen=True)
class SourceEventReceived:
    """Any raw source event (link quality, battery...) for views that show details."""

    event: SourceEvent


SessionEvent = (ContractionFinished | LinkChanged | MarkerAdded | RecordingStarted
                | RecordingSaved | RecordingFailed | EndOfRecording | FileAnnotation
                | SourceEventReceived)
