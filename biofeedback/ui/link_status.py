"""A compact strip that says how the sensor link is doing: connection, link quality, electrodes,
battery.

Every state is spelled out in words and marked by a distinct symbol, so nothing depends on
colour alone (Okabe-Ito colours from :mod:`biofeedback.ui.theme` only reinforce it). Wording is
calm and practical — it tells the user what to check, never what it means clinically.
Feed it with :meth:`LinkStatusWidget.on_event` on the GUI thread.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtWidgets import QHBoxLayout, QLabel, QWidget

from biofeedback.streams import EventKind, SourceEvent, SourceInfo
from biofeedback.ui import theme

_STATES: dict[str, tuple[str, str, str]] = {
    # state: (symbol, words, colour)
    "idle": ("○", "Not streaming", theme.MUTED),
    "connected": ("●", "Connected", theme.BLUE),
    "reconnecting": ("◐", "Reconnecting…", theme.ORANGE),
    "disconnected": ("✕", "Disconnected", theme.VERMILLION),
    "stopped": ("■", "Stopped", theme.VERMILLION),
    "ended": ("■", "Finished", theme.MUTED),
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
        self._has_link = True
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
        self._show_state("idle")
        self.quality_label.setText("Link: —")
        self.lead_label.hide()
        self.battery_label.hide()

    def _label(self, name: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        return label

    # -- public API -----------------------------------------------------------------------------
    def set_source_info(self, info: SourceInfo) -> None:
        """A new source: reset counters; only real links show link quality."""
        self.gaps = 0
        self.lost_samples = 0
        self._prev_counts = None
        self._last_link = {}
        self.level = "good"
        self._has_link = info.kind == "serial"
        who = info.name + (f" · serial {info.serial_number}" if info.serial_number else "")
        if info.firmware:
            who += f" · firmware {info.firmware}"
        port = info.details.get("port") if info.details else None
        if port:
            who += f" · {port}"
        self.setToolTip(who)
        self.quality_label.setVisible(self._has_link)
        self.quality_label.setText("Link: —")
        self.lead_label.hide()
        self.battery_label.hide()
        self._show_state("idle")

    def on_event(self, event: SourceEvent) -> None:
        """Update from a source event (call on the GUI thread)."""
        kind = event.kind
        if kind is EventKind.CONNECTED:
            self._show_state("connected")
        elif kind is EventKind.RECONNECTING:
            self._show_state("reconnecting", event.message)
        elif kind is EventKind.DISCONNECTED:
            self._show_state("disconnected", event.message)
        elif kind is EventKind.ERROR:
            self._show_state("stopped", event.message)
        elif kind is EventKind.END:
            self._show_state("ended")
        elif kind is EventKind.GAP:
            self.gaps += 1
            self.lost_samples += int(event.detail.get("n_samples", 0))
            self._show_quality()
        elif kind is EventKind.STATUS:
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
