"""Replay review: the overview strip of the whole file above the plots, and the transport bar.

Only exists while a file is open. The strip marks the visible window and seeks (file
seconds) through the session's replay transport; the bar shows file time. Both are refreshed
by the window's one timer.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QVBoxLayout, QWidget

from biofeedback.app.live_session import LiveSnapshot
from biofeedback.app.live_types import SessionPhase
from biofeedback.app.overview import FileOverview
from biofeedback.ui.overview_strip import OverviewStrip
from biofeedback.ui.transport_bar import Transport, TransportBarWidget


class ReplayReview(QWidget):
    """``transport``: the session's :class:`ReplaySource` (its thread-safe transport API)."""

    def __init__(self, transport: Transport, overview: FileOverview | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.transport = TransportBarWidget(transport)
        self.overview = OverviewStrip()
        if overview is not None:
            self.overview.set_overview(overview)
        self.overview.sigSeek.connect(self.transport.seek)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.transport)
        layout.addWidget(self.overview)

    def refresh(self, snap: LiveSnapshot, window_s: float) -> None:
        ended = snap.phase is SessionPhase.ENDED
        self.transport.refresh(ended=ended)
        t = snap.replay.duration_s if ended and snap.replay is not None else snap.time_s
        self.overview.set_view(max(0.0, t - window_s), t)
