"""Rating entry with big targets, shown inline in the session view (never a blocking modal).

* pain 0-10 (NRS): eleven large buttons; dilator size 1-10: ten;
* anxiety 0-100 (SUDS): a slider in steps of 10 with the number beside it.

Number keys choose as typed: ``3`` is 3 (anxiety: 30), ``1`` then ``0`` is 10 (anxiety:
100); Enter continues; **Skip** is always there (a rating is never required). The panel is a
widget in the session view, so the window's timer keeps streaming and recording while the
person thinks. The window routes digit shortcuts here while a rating is shown
(:meth:`RatingPanel.press_digit`), so a digit picks a rating instead of placing a marker.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QKeyEvent
from PyQt6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from biofeedback.sessions.protocol import Rating
from biofeedback.ui import theme

SLIDER_STEP = 10  # SUDS in steps of 10
ENDS = {"pain": ("no pain", "worst pain"), "anxiety": ("calm", "most anxious"),
        "dilator_size": ("smallest", "largest")}
STYLE = f"""
QPushButton[rating="true"] {{ font-size: 20pt; font-weight: 600; min-width: 52px;
                             min-height: 52px; padding: 4px; }}
QPushButton[rating="true"]:checked {{ background: {theme.BLUE}; color: white; }}
QSlider::groove:horizontal {{ height: 14px; background: {theme.GRID}; border-radius: 7px; }}
QSlider::handle:horizontal {{ width: 44px; height: 44px; margin: -16px 0;
                             background: {theme.BLUE}; border-radius: 22px; }}
QLabel#ratingNumber {{ font-size: 30pt; font-weight: 600; }}
QLabel#ratingQuestion {{ font-size: 17pt; }}
"""


class RatingPanel(QWidget):
    """Ask one :class:`Rating`; ``answered`` carries the value or None (skipped)."""

    answered = pyqtSignal(object)  # float | None
    selected = pyqtSignal(float)  # the person picked a value (not yet confirmed)

    def __init__(self, parent: QWidget | None = None, *, large: bool = False) -> None:
        super().__init__(parent)
        self.large = large
        self.rating: Rating | None = None
        self.value: float | None = None
        self._typed = ""
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setStyleSheet(STYLE)
        self.question = QLabel("")
        self.question.setObjectName("ratingQuestion")
        self.question.setWordWrap(True)
        self.buttons = QButtonGroup(self)
        self.buttons.setExclusive(True)
        self.buttons.idClicked.connect(lambda v: self.select(float(v)))
        self._button_row = QGridLayout()
        self._button_row.setSpacing(8)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setSingleStep(SLIDER_STEP)
        self.slider.setPageStep(SLIDER_STEP)
        self.slider.setTickInterval(SLIDER_STEP)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setMinimumHeight(56)
        self.slider.valueChanged.connect(self._on_slider)
        self.number = QLabel("")
        self.number.setObjectName("ratingNumber")
        self.number.setMinimumWidth(90)
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ends = QLabel("")
        self.ends.setObjectName("hint")
        self.keys_hint = QLabel("")
        self.keys_hint.setObjectName("hint")
        self.continue_button = QPushButton("Continue")
        self.continue_button.setObjectName("primary")
        self.continue_button.setMinimumHeight(48)
        self.continue_button.clicked.connect(self.confirm)
        self.skip_button = QPushButton("Skip")
        self.skip_button.setMinimumHeight(48)
        self.skip_button.setToolTip("Go on without a rating: that is fine")
        self.skip_button.clicked.connect(lambda: self.answered.emit(None))
        self._layout()

    def _layout(self) -> None:
        slider_row = QHBoxLayout()
        slider_row.addWidget(self.slider, 1)
        slider_row.addWidget(self.number)
        self._slider_box = QWidget()
        self._slider_box.setLayout(slider_row)
        actions = QHBoxLayout()
        actions.addWidget(self.keys_hint, 1)
        actions.addWidget(self.skip_button)
        actions.addWidget(self.continue_button)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.question)
        outer.addLayout(self._button_row)
        outer.addWidget(self._slider_box)
        outer.addWidget(self.ends)
        outer.addLayout(actions)

    # -- what is asked -------------------------------------------------------------------
    @property
    def uses_slider(self) -> bool:
        return self.rating is not None and self.rating.high > 10

    def ask(self, rating: Rating) -> None:
        """Show ``rating`` with nothing chosen yet."""
        if rating != self.rating:
            self.rating = rating
            self._build_buttons()
        self.question.setText(rating.question)
        lo_word, hi_word = ENDS.get(rating.scale, ("", ""))
        self.ends.setText(f"{rating.low} = {lo_word}, {rating.high} = {hi_word}"
                          if lo_word else "")
        self.keys_hint.setText("Keys: 0-9 (then 0 for 100) choose, Enter continues"
                               if self.uses_slider else
                               f"Keys: {rating.low}-9 (1 then 0 for 10) choose, "
                               "Enter continues")
        self._slider_box.setVisible(self.uses_slider)
        self.value = None
        self._typed = ""
        self._show_value()

    def _build_buttons(self) -> None:
        for b in self.buttons.buttons():
            self.buttons.removeButton(b)
            self._button_row.removeWidget(b)
            b.deleteLater()
        r = self.rating
        if r is None or self.uses_slider:
            return
        for i, v in enumerate(range(r.low, r.high + 1)):
            b = QPushButton(str(v))
            b.setProperty("rating", True)
            b.setCheckable(True)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            b.setAccessibleName(f"{r.scale} {v}")
            self.buttons.addButton(b, v)
            self._button_row.addWidget(b, 0, i)

    # -- choosing ------------------------------------------------------------------------
    def select(self, value: float) -> None:
        """Choose ``value`` (clicked, slid or typed); Continue confirms it."""
        r = self.rating
        if r is None:
            return
        value = float(min(max(value, r.low), r.high))
        if value == self.value:
            return
        self.value = value
        self._show_value()
        self.selected.emit(value)

    def press_digit(self, digit: int) -> bool:
        """A number key: the typed number picks a value; False if it means nothing here."""
        r = self.rating
        if r is None or not 0 <= digit <= 9:
            return False
        unit = SLIDER_STEP if self.uses_slider else 1
        typed = self._typed + str(digit)
        if int(typed) * unit > r.high:
            typed = str(digit)
        self._typed = typed
        value = int(typed) * unit
        if value < r.low:
            return True  # "0" of a 1-10 scale: wait for the next key
        self.select(float(value))
        return True

    def confirm(self) -> None:
        if self.value is not None:
            self.answered.emit(self.value)

    def _on_slider(self, v: int) -> None:
        stepped = int(round(v / SLIDER_STEP)) * SLIDER_STEP
        if stepped != v:
            self.slider.setValue(stepped)  # the slider snaps to tens
            return
        self._typed = ""
        self.select(float(stepped))

    def _show_value(self) -> None:
        v = self.value
        self.continue_button.setEnabled(v is not None)
        self.number.setText("–" if v is None else f"{v:.0f}")
        if self.uses_slider:
            self.slider.blockSignals(True)
            self.slider.setValue(int(v) if v is not None else 0)
            self.slider.blockSignals(False)
        else:
            checked = self.buttons.checkedButton()
            target = self.buttons.button(int(v)) if v is not None else None
            if checked is not None and checked is not target:
                self.buttons.setExclusive(False)  # an exclusive group cannot uncheck all
                checked.setChecked(False)
                self.buttons.setExclusive(True)
            if target is not None:
                target.setChecked(True)

    def keyPressEvent(self, event: QKeyEvent | None) -> None:
        if event is None:
            return
        key = event.key()
        if Qt.Key.Key_0.value <= key <= Qt.Key.Key_9.value:
            self.press_digit(key - Qt.Key.Key_0.value)
        elif key in (Qt.Key.Key_Return.value, Qt.Key.Key_Enter.value):
            self.confirm()
        else:
            super().keyPressEvent(event)


__all__ = ["RatingPanel"]
