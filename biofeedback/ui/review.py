"""Replay review: the overview strip of the whole file above the plots, and the transport bar.

Only exists while a file is open. The strip marks the visible window and seeks (file
seconds) through the session's replay transport; the bar shows file time. Both are refreshed
by the window's one timer, which also picks up the overview once its worker thread is done
(until then the strip says it is reading the file).
"""

from __future__ import annotations

from PyQt6.QtWidgets import QVBoxLayout, QWidget

from biofeedback.app.live_session import LiveSnapshot
from biofeedback.app.live_types import SessionPhase
from biofeedback.app.overview import FileOverview, OverviewJob
from biofeedback.ui.overview_strip import READING_TEXT, OverviewStrip
from biofeedback.ui.transport_bar import Transport, TransportBarWidget


class ReplayReview(QWidget):
    """``transport``: the session's :class:`ReplaySource` (its thread-safe transport API);
    ``overview``: the file's overview, or the job computing it (polled in :meth:`refresh`)."""

    def __init__(self, transport: Transport, overview: FileOverview | OverviewJob | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.transport = TransportBarWidget(transport)
        self.overview = OverviewStrip()
        self._job: OverviewJob | None = None
        if isinstance(overview, OverviewJob):
            self._job = overview
            self.overview.show_message(READING_TEXT)
        elif overview is not None:
            self.overview.set_overview(overview)
        self.overview.sigSeek.connect(self.transport.seek)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.transport)
        layout.addWidget(self.overview)

    def refresh(self, snap: LiveSnapshot, window_s: float) -> None:
        self._take_overview()
        ended = snap.phase is SessionPhase.ENDED
        self.transport.refresh(ended=ended)
        t = snap.replay.duration_s if ended and snap.replay is not None else snap.time_s
        self.overview.set_view(max(0.0, t - window_s), t)

    def _take_overview(self) -> None:
        """Draw the overview once its job is done (a cancelled job draws nothing)."""
        job = self._job
        if job is None or not job.done:
            return
        self._job = None
        if job.result is not None:
            self.overview.set_overview(job.result)
        elif job.problem is not None:
            self.overview.show_message(job.problem)
