"""The replay overview strip: the whole file, its annotations, the visible window, seek by click."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import QEvent, QPoint, QPointF, Qt
from PyQt6.QtGui import QMouseEvent
from PyQt6.QtWidgets import QApplication

from biofeedback.app.overview import FileOverview
from biofeedback.streams import Annotation
from biofeedback.ui.overview_strip import OverviewStrip, mmss

DURATION_S = 120.0


def overview() -> FileOverview:
    t = np.arange(0.5, DURATION_S, 1.0)
    rms = np.full(len(t), 3.0)
    rms[30:36] = 40.0
    anns = (Annotation(30.0, 6.0, "contraction"), Annotation(80.0, 0.0, "marker:1:probe in"),
            Annotation(90.0, 20.0, "protocol:relax"), Annotation(100.0, 0.0, "gap:emg"))
    return FileOverview(t, rms, DURATION_S, anns)


@pytest.fixture
def strip(qtbot) -> OverviewStrip:
    w = OverviewStrip()
    qtbot.addWidget(w)
    w.resize(900, 110)
    w.show()
    qtbot.waitExposed(w)
    w.set_overview(overview())
    QApplication.processEvents()
    return w


def pixel_of(strip: OverviewStrip, t_s: float) -> QPoint:
    vb = strip.plot.getPlotItem().vb
    scene = vb.mapViewToScene(QPointF(t_s, 1.0))
    return strip.plot.mapFromScene(scene)


def seconds_per_pixel(strip: OverviewStrip) -> float:
    return DURATION_S / strip.plot.getPlotItem().vb.width()


def test_draws_the_whole_file_and_its_annotations(strip):
    x, y = strip.curve.getData()
    assert len(x) == 120 and x[-1] == pytest.approx(119.5)
    assert float(np.max(y)) == pytest.approx(40.0)  # the contraction stands out
    assert strip.marker_count == 2  # the marker and the protocol step
    assert strip.contraction_count == 1
    assert strip.plot.getPlotItem().vb.viewRange()[0] == pytest.approx([0.0, DURATION_S])


def test_click_seeks_to_the_time_under_the_pointer(strip, qtbot):
    with qtbot.waitSignal(strip.sigSeek) as blocker:
        qtbot.mouseClick(strip.plot.viewport(), Qt.MouseButton.LeftButton,
                         pos=pixel_of(strip, 45.0))
    assert blocker.args[0] == pytest.approx(45.0, abs=2 * seconds_per_pixel(strip))


def test_drag_follows_the_pointer(strip, qtbot):
    seen: list[float] = []
    strip.sigSeek.connect(seen.append)
    port = strip.plot.viewport()
    qtbot.mousePress(port, Qt.MouseButton.LeftButton, pos=pixel_of(strip, 20.0))
    for t in (40.0, 60.0, 75.0):
        pos = QPointF(pixel_of(strip, t))
        move = QMouseEvent(QEvent.Type.MouseMove, pos, port.mapToGlobal(pos),
                           Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(port, move)
    qtbot.mouseRelease(port, Qt.MouseButton.LeftButton, pos=pixel_of(strip, 75.0))
    assert len(seen) == 4
    assert seen[0] == pytest.approx(20.0, abs=2 * seconds_per_pixel(strip))
    assert seen[-1] == pytest.approx(75.0, abs=2 * seconds_per_pixel(strip))


def test_seek_never_leaves_the_file(strip, qtbot):
    with qtbot.waitSignal(strip.sigSeek) as blocker:
        strip.plot.sigPointer.emit(-5.0, True)
    assert blocker.args == [0.0]
    with qtbot.waitSignal(strip.sigSeek) as blocker:
        strip.plot.sigPointer.emit(500.0, True)
    assert blocker.args == [DURATION_S]


def test_set_view_moves_the_region(strip):
    assert not strip.region.isVisible()
    strip.set_view(10.0, 20.0)
    assert strip.region.isVisible()
    assert strip.view_region == pytest.approx((10.0, 20.0))
    strip.set_view(50.0, 60.0)
    assert strip.view_region == pytest.approx((50.0, 60.0))


def test_sub_pixel_moves_do_not_repaint(strip):
    strip.set_view(50.0, 60.0)
    strip.set_view(50.0 + 0.2 * seconds_per_pixel(strip), 60.0)
    assert strip.view_region == pytest.approx((50.0, 60.0))


def test_file_time_labels():
    assert [mmss(s) for s in (0.0, 59.6, 75.0, 3600.0)] == ["0:00", "1:00", "1:15", "60:00"]
