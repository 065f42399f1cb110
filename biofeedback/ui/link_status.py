"""A compact strip that says how the data link is doing: connection, link quality, electrodes,
battery.

The connection state comes from the live session's snapshot (:class:`LinkState`): "Simulated
data", "Connected", "Not answering", "Disconnected", "Reconnecting…", "End of recording" or
idle. Link quality, lead-off and battery come from raw source events (:meth:`on_event`).
Every state is spelled out in words and marked by a distinct symbol, so nothing depends on
colour alone (Okabe-Ito colours from :mod:`biofeedback.ui.theme` only reinforce it). Wording is
calm and practical: it tells the user what to check, never what it means clinically.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtWidgets import QHBoxLayout, QLabel, QWidget

from biofeedback.app.live_types import LinkState
from biofeedback.streams import EventKind, SourceEvent, SourceInfo
from biofeedback.ui import theme

_STATES: dict[str, tuple[str, str, str]] = {
    # state: (symbol, words, colour)
    "idle": ("○", "Not streaming", theme.MUTED),
    "connected": ("●", "Connected", theme.BLUE),
    "simulated": ("◇", "Simulated data", theme.PURPLE),
    "replay": ("▶", "Playing a recording", theme.BLUE),
    "paused": ("‖", "Recording paused", theme.MUTED),
    "not_answering": ("◌", "Not answering", theme.VERMILLION),
    "reconnecting": ("◐", "Reconnecting…", theme.ORANGE),
    "disconnected": ("✕", "Disconnected", theme.VERMILLION),
    "failed": ("■", "Stopped", theme.VERMILLION),
    "ended": ("■", "End of recording", theme.MUTED),
    "finished": ("■", "Finished", theme.MUTED),
}
_LEVEL_COLOURS = {"good": theme.BLUE, "fair": theme.ORANGE, "poor": theme.VERMILLION}
FAIR_LOSS = 0.001  # share of frames lost in the last status interval
POOR_LOSS = 0.02


class LinkStatusWidget(QWidget):
    """Connection state, link quality, lead-off and battery of the current source."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("linkStatus")
        self.state = "idle"
        self.level = "good"
        self.gaps = 0
        self.lost_samples = 0
        self._last_link: dict[str, Any] = {}
        self._prev_counts: tuple[int, int] | None = None
        self._has_link = False
        self.state_label = self._label("linkState")
        self.quality_label = self._label("linkQuality")
        self.lead_label = self._label("leadOff")
        self.battery_label = self._label("battery")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(18)
        for w in (self.state_label, self.quality_label, self.lead_label, self.battery_label):
            layout.addWidget(w)
        layout.addStretch(1)
        self.reset()

    def _label(self, name: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        return label

    # -- public API -----------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to idle: no source, nothing about the link, electrodes or battery."""
        self.gaps = 0
        self.lost_samples = 0
        self._prev_counts = None
        self._last_link = {}
        self.level = "good"
        self._has_link = False
        self.setToolTip("")
        self.quality_label.setText("Link: —")
        self.quality_label.setStyleSheet("")
        self.quality_label.hide()
        self.lead_label.hide()
        self.battery_label.hide()
        self._show_state("idle")

    def set_source_info(self, info: SourceInfo) -> None:
        """A new source: reset counters; only real links show link quality."""
        self.reset()
        self._has_link = info.kind == "serial"
        who = info.name + (f" · serial {info.serial_number}" if info.serial_number else "")
        if info.firmware:
            who += f" · firmware {info.firmware}"
        port = info.details.get("port") if info.details else None
        if port:
            who += f" · {port}"
        self.setToolTip(who)
        self.quality_label.setVisible(self._has_link)

    def set_link(self, link: LinkState, *, source_kind: str = "", paused: bool = False,
                 detail: str = "") -> None:
        """The connection state from the session snapshot (call every refresh; cheap)."""
        state = link.value
        if link is LinkState.REPLAY and paused:
            state = "paused"
        elif link is LinkState.ENDED and source_kind != "replay":
            state = "finished"
        if state != self.state or detail != self.state_label.toolTip():
            self._show_state(state, detail)
            if state != "connected":  # quality, electrodes, battery: last known, now stale
                for label in (self.quality_label, self.lead_label, self.battery_label):
                    label.hide()
        if link is LinkState.IDLE and self._has_link:
            self.reset()

    def on_event(self, event: SourceEvent) -> None:
        """Link quality, lead-off and battery from a raw source event (GUI thread)."""
        if event.kind is EventKind.GAP:
            self.gaps += 1
            self.lost_samples += int(event.detail.get("n_samples", 0))
            self._show_quality()
        elif event.kind is EventKind.STATUS:
            self._on_status(event.detail)

    # -- rendering ------------------------------------------------------------------------------
    def _show_state(self, state: str, detail: str = "") -> None:
        self.state = state
        symbol, words, colour = _STATES[state]
        self.state_label.setText(f"{symbol} {words}")
        self.state_label.setStyleSheet(f"color: {colour}; font-weight: 600;")
        self.state_label.setToolTip(detail)
        self.state_label.setAccessibleName(f"Sensor: {words}")

    def _on_status(self, detail: dict[str, Any]) -> None:
        link = detail.get("link")
        if isinstance(link, dict):
            self._last_link = link
            self.level = self._loss_level(link)
            self._show_quality()
        if self.state not in ("connected", "idle"):
            return  # not shown while the link is down: it would be stale
        if self._has_link:
            self.quality_label.show()
        lead_off = list(detail.get("lead_off") or [])
        if lead_off:
            names = ", ".join(_pretty(n) for n in lead_off)
            self.lead_label.setText(f"⚠ Check electrode: {names}")
            self.lead_label.setStyleSheet(
                f"color: {theme.TEXT}; background: #FFF4D6; border: 1px solid {theme.ORANGE};"
                " border-radius: 4px; padding: 1px 6px;")
            self.lead_label.setToolTip("An electrode reports poor contact; the EMG of that "
                                       "channel is unreliable until it is re-seated.")
            self.lead_label.show()
        elif "lead_off" in detail:
            self.lead_label.setText("✓ Electrodes OK")
            self.lead_label.setStyleSheet(f"color: {theme.MUTED};")
            self.lead_label.setToolTip("")
            self.lead_label.show()
        battery = detail.get("battery_pct")
        if battery is None:
            self.battery_label.hide()
        else:
            low = bool(detail.get("battery_low")) or battery < 15
            self.battery_label.setText(("▼ Battery low " if low else "Battery ") + f"{battery} %")
            self.battery_label.setStyleSheet(
                f"color: {theme.VERMILLION if low else theme.MUTED};"
                + (" font-weight: 600;" if low else ""))
            self.battery_label.show()
        error = detail.get("device_error")
        if error:
            self.state_label.setToolTip(f"Sensor reports: {error}")

    def _show_quality(self) -> None:
        if not self._has_link:
            return
        link = self._last_link
        lost = int(link.get("lost_frames", 0))
        crc = int(link.get("crc_errors", 0))
        ok = int(link.get("frames_ok", 0))
        level = self.level
        if lost == 0 and crc == 0:
            text = f"Link: {level}"
        else:
            text = f"Link: {level} · {lost} lost · {crc} CRC errors"
        self.quality_label.setText(text)
        self.quality_label.setStyleSheet(f"color: {_LEVEL_COLOURS[level]};")
        tip = [f"Frames received: {ok}", f"Frames lost: {lost}", f"CRC errors: {crc}",
               f"Resynchronisations: {link.get('resyncs', 0)}",
               f"Gaps marked in the recording: {self.gaps} ({self.lost_samples} samples)",
               f"Sensor overruns: {link.get('overruns', 0)}",
               f"Reconnects: {link.get('reconnects', 0)}"]
        self.quality_label.setToolTip("\n".join(tip))

    def _loss_level(self, link: dict[str, Any]) -> str:
        """good / fair / poor from the share of frames lost since the previous STATUS."""
        lost = int(link.get("lost_frames", 0))
        ok = int(link.get("frames_ok", 0))
        if self._prev_counts is None:
            d_lost, d_ok = lost, ok
        else:
            d_lost, d_ok = lost - self._prev_counts[0], ok - self._prev_counts[1]
            if d_lost < 0 or d_ok < 0:  # counters restarted with a new session
                d_lost, d_ok = lost, ok
        self._prev_counts = (lost, ok)
        share = d_lost / max(1, d_lost + d_ok)
        if share >= POOR_LOSS:
            return "poor"
        if share >= FAIR_LOSS:
            return "fair"
        return "good"


def _pretty(name: str) -> str:
    return {"pfm": "pelvic floor", "abdominal": "abdominal"}.get(name, name)
