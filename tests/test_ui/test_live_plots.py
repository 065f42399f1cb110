"""The live plots: a rest region that stays readable after a contraction, marked peaks, the
line label, "No signal" grey-out, the simulated watermark, annotations and clear()."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from biofeedback.app.feedback import IDLE_VIEW
from biofeedback.app.live_session import LiveSession, LiveSnapshot
from biofeedback.app.live_types import LinkState, SessionPhase, Traces
from biofeedback.signal import FeedbackState, ProcessorStatus, QualityFlag
from biofeedback.streams import Annotation
from biofeedback.ui import theme
from biofeedback.ui.live_plots import (
    LivePlotsWidget,
    annotation_label,
    clipped_peaks,
    peak_decimate,
    rest_scale_top,
)

LINE_UV = 6.0


def status(line_uv: float = LINE_UV, mean_uv: float = 4.0, sd_uv: float = 1.0,
           provisional: bool = False) -> ProcessorStatus:
    return ProcessorStatus(
        baseline_ready=True, baseline_mean_uv=mean_uv, baseline_sd_uv=sd_uv,
        baseline_source="auto", threshold_uv=line_uv, threshold_is_user=False, relaxation=0.5,
        relaxed_for_s=0.0, relaxed=False, contraction_active=False, contraction_count=0,
        strain=False, quality=QualityFlag.OK, quality_message="", hum_detected=False,
        hum_hz=None, suggestion="", last_index=20_000, baseline_provisional=provisional,
        feedback=FeedbackState.TIGHT)


def snapshot(link: LinkState = LinkState.CONNECTED, simulated: bool = False,
             meter_state: FeedbackState = FeedbackState.TIGHT, kind: str = "serial",
             st: ProcessorStatus | None = None) -> LiveSnapshot:
    meter = replace(IDLE_VIEW, state=meter_state, detail="the sensor is not answering"
                    if meter_state is FeedbackState.NO_SIGNAL else "")
    return LiveSnapshot(SessionPhase.RUNNING, link, "test", "simulated" if simulated else kind,
                        simulated, 10.0, st or status(), meter, (), None, None)


def traces(t_end: float = 10.0, peak_at: float | None = 4.0, peak_uv: float = 50.0,
           window_s: float = 10.0) -> Traces:
    """Rest at 4 µV with one 2 s contraction peaking at ``peak_uv``; 2 kHz EMG, 100 Hz envelope."""
    tv = np.arange(int(window_s * 100)) / 100 + (t_end - window_s) + 0.01
    env = np.full(len(tv), 4.0)
    if peak_at is not None:
        env += (peak_uv - 4.0) * np.exp(-0.5 * ((tv - peak_at) / 0.4) ** 2)
    env2 = np.column_stack([env, np.full(len(tv), 3.0)])
    te = np.arange(int(window_s * 2000)) / 2000 + (t_end - window_s) + 0.0005
    emg = np.random.default_rng(0).normal(0, 4.0, (len(te), 1))
    tp = np.arange(int(window_s * 100)) / 100 + (t_end - window_s)
    return Traces(te, emg, tv, env2, np.full(len(tv), float(FeedbackState.TIGHT)), tp,
                  np.full((len(tp), 1), 20.0))


@pytest.fixture
def plots(qtbot) -> LivePlotsWidget:
    w = LivePlotsWidget(window_s=10.0)
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitExposed(w)
    return w


def env_y_top(w: LivePlotsWidget) -> float:
    return float(w.env_plot.getPlotItem().vb.viewRange()[1][1])


def test_rest_region_stays_readable_after_a_50_uv_contraction(plots):
    for t_end in (6.0, 8.0, 10.0, 12.0):  # the peak at 4 s stays on screen until 14 s
        plots.show_traces(traces(t_end))
        plots.show_status(snapshot())
        assert env_y_top(plots) < 3 * LINE_UV
        assert env_y_top(plots) >= 10.0  # 2-10 µV always in view
    assert plots.peak_texts() == ["▲ peak 50 µV"]
    _, y = plots.env_curve.getData()
    assert np.nanmax(y) <= env_y_top(plots)  # clipped at the top edge, not off the plot


def test_peaks_below_the_top_are_not_labelled(plots):
    plots.show_traces(traces(peak_uv=9.0))
    plots.show_status(snapshot())
    assert plots.peak_texts() == []


def test_line_label_and_baseline_band_visible(plots):
    plots.show_traces(traces())
    plots.show_status(snapshot())
    label = plots.threshold_line.label
    assert label.isVisible()
    assert "relax below 6.0 µV" in label.toPlainText()
    view = plots.env_plot.getPlotItem().vb.sceneBoundingRect()
    assert view.contains(label.sceneBoundingRect().center())
    assert plots.baseline_band.isVisible()
    lo, hi = plots.baseline_band.getRegion()
    assert (lo, hi) == (3.0, 5.0)
    assert hi < env_y_top(plots)
    assert plots.baseline_label.isVisible()


def test_provisional_baseline_says_so(plots):
    plots.show_status(snapshot(st=status(provisional=True)))
    assert "learning" in plots.baseline_label.format


def test_published_rest_band_has_its_source_in_the_tooltip(plots):
    band = plots.reference_band
    assert band.isVisible()
    assert "Kasper" in band.toolTip() and "devices" in band.toolTip()
    assert band.getRegion() == pytest.approx((2.4, 6.26))


def test_scale_follows_the_line_not_the_peaks():
    assert rest_scale_top(6.0) == 15.0
    assert rest_scale_top(3.0) == 12.0
    assert rest_scale_top(30.0) == 80.0  # a line dragged high: the scale follows it
    assert rest_scale_top(math.nan, floor_uv=25.0) == 50.0  # guarded start before the line


@pytest.mark.parametrize("link", [LinkState.NOT_ANSWERING, LinkState.DISCONNECTED,
                                  LinkState.RECONNECTING, LinkState.FAILED])
def test_stale_link_greys_traces_and_says_no_signal(plots, link):
    plots.show_traces(traces())
    plots.show_status(snapshot())
    assert not plots.no_signal
    plots.show_status(snapshot(link=link))
    assert plots.no_signal
    assert plots.env_curve.opts["pen"].color().name() == theme.NO_SIGNAL.lower()
    assert plots.raw_curve.opts["pen"].color().name() == theme.NO_SIGNAL.lower()
    overlay = plots._no_signal_text[1].item
    assert overlay.isVisible() and overlay.text().startswith("No signal")
    plots.show_status(snapshot())
    assert not plots.no_signal
    assert plots.env_curve.opts["pen"].color().name() == theme.ENVELOPE.lower()
    assert not overlay.isVisible()


def test_meter_no_signal_greys_too(plots):
    plots.show_status(snapshot(meter_state=FeedbackState.NO_SIGNAL))
    assert plots.no_signal
    assert "not answering" in plots._no_signal_text[0].item.text()


def test_simulated_data_shows_a_watermark_on_every_plot(plots):
    plots.show_status(snapshot(simulated=True))
    assert [p.watermark for p in (plots.raw_plot, plots.env_plot, plots.pressure_plot)] == [
        "SIMULATED DATA"] * 3
    assert plots.watermark_visible
    plots.show_status(snapshot(simulated=False))
    assert not plots.watermark_visible


def test_markers_and_contractions_are_drawn_where_they_happened(plots):
    plots.show_traces(traces(t_end=10.0))
    plots.show_status(snapshot())
    plots.add_marker(7.0, "3 probe in")
    plots.add_contraction(3.0, 5.5, 50.0)
    marker = plots._live_markers[0].item
    assert marker.isVisible() and marker.value() == pytest.approx(-3.0)  # 3 s before now
    assert marker.label.toPlainText() == "3 probe in"
    span = next(p for p in plots._placed if p is not plots._live_markers[0])
    assert span.item.getRegion() == pytest.approx((-7.0, -4.5))
    assert plots.peak_texts() == ["▲ peak 50 µV"]  # the span's label, not a second one
    plots.show_traces(traces(t_end=16.0, peak_at=None))  # scrolled out of the window
    assert not span.item.isVisible()
    assert marker.isVisible() and marker.value() == pytest.approx(-9.0)


def test_file_annotations_use_the_vocabulary(plots):
    plots.show_status(snapshot(kind="replay"))
    plots.set_annotations([Annotation(2.0, 0.0, "marker:3:probe in"),
                           Annotation(4.0, 2.0, "contraction"),
                           Annotation(6.0, 30.0, "protocol:relax"),
                           Annotation(7.0, 0.0, "rating:pain=3")])
    plots.show_traces(traces(t_end=10.0))
    labels = sorted(p.item.label.toPlainText() for p in plots._placed
                    if p.label is None and p.item.isVisible())
    assert labels == ["3 probe in", "pain=3", "relax"]
    assert plots.annotation_count() == 4
    plots.set_annotations([])
    assert plots.annotation_count() == 0
    assert annotation_label("gap:emg") == ("gap", "gap (emg)")
    assert annotation_label("device:disconnected") == ("device", "disconnected")


def test_replay_axis_shows_file_time(plots):
    plots.show_status(snapshot(kind="replay"))
    plots.show_traces(traces(t_end=42.0))
    lo, hi = plots.env_plot.getPlotItem().vb.viewRange()[0]
    assert (lo, hi) == pytest.approx((32.0, 42.0))


def test_live_time_axis_never_moves(plots):
    ranges = set()
    for t_end in (10.0, 10.033, 10.066, 25.0):
        plots.show_traces(traces(t_end))
        ranges.add(tuple(plots.env_plot.getPlotItem().vb.viewRange()[0]))
    assert len(ranges) == 1
    assert min(ranges)[0] == pytest.approx(-10.0)


def test_line_drag_is_reported_and_not_overwritten_while_dragging(plots, qtbot):
    line = plots.threshold_line
    line.moving = True
    plots.show_status(snapshot())
    assert line.value() == pytest.approx(10.0)  # not moved under the pointer
    line.setValue(7.5)
    line.moving = False
    with qtbot.waitSignal(plots.sigLineMoved) as blocker:
        line.sigPositionChangeFinished.emit(line)
    assert blocker.args == [7.5]


def test_clear_returns_to_idle(plots):
    plots.show_traces(traces())
    plots.show_status(snapshot(link=LinkState.NOT_ANSWERING, simulated=True))
    plots.add_marker(8.0, "1")
    plots.add_contraction(3.0, 5.0, 50.0)
    plots.clear()
    for curve in (plots.raw_curve, plots.env_curve, plots.acc_curve, plots.pressure_curve):
        x, _ = curve.getData()
        assert x is None or len(x) == 0
    assert plots.annotation_count() == 0
    assert plots.peak_texts() == []
    assert not plots.baseline_band.isVisible()
    assert not plots.no_signal and not plots.watermark_visible


def test_compact_view_has_only_the_envelope(qtbot):
    w = LivePlotsWidget(compact=True)
    qtbot.addWidget(w)
    w.show()
    w.show_traces(traces())
    assert w.env_plot.isVisible()
    assert not w.raw_plot.isVisible() and not w.pressure_plot.isVisible()
    assert w.env_plot.getPlotItem().getAxis("bottom").isVisible()
    x, _ = w.raw_curve.getData()
    assert x is None or len(x) == 0  # hidden plots cost nothing


def test_peak_decimation_keeps_extremes_and_gaps():
    t = np.arange(20_000) / 2000.0
    y = np.sin(t * 7)
    y[5000] = 30.0
    y[9000:9400] = np.nan
    td, yd = peak_decimate(t, y, 2000)
    assert len(yd) <= 2002
    assert np.nanmax(yd) == 30.0
    assert np.isnan(yd).any()  # the gap stays a break
    # bins aligned to the sample clock: one frame (67 samples) later the same bins
    td2, _ = peak_decimate(t + 67 / 2000, y, 2000)
    common = np.intersect1d(np.round(td, 6), np.round(td2, 6))
    assert len(common) > 0.9 * len(np.unique(td))


def test_clipped_peaks_finds_each_run():
    t = np.arange(100.0)
    y = np.zeros(100)
    y[10:15] = [20, 30, 40, 30, 20]
    y[60:62] = [25, 26]
    assert [(p.t_s, p.peak_uv) for p in clipped_peaks(t, y, 15.0)] == [(12.0, 40.0),
                                                                      (61.0, 26.0)]


def test_end_to_end_with_the_live_session(plots, qtbot):
    session = LiveSession()
    session.start("simulated:rest")
    try:
        def frame() -> bool:
            plots.show_traces(session.traces(plots.window_s))
            plots.show_status(session.snapshot())
            x, _ = plots.env_curve.getData()
            return x is not None and len(x) > 50

        qtbot.waitUntil(frame, timeout=10_000)
        assert plots.watermark_visible
        x, _ = plots.raw_curve.getData()
        assert len(x) <= 2 * plots.raw_plot.getPlotItem().vb.width() + 4  # decimated
    finally:
        session.stop()
    plots.show_status(session.snapshot())
    plots.clear()
    assert not plots.watermark_visible


def test_every_trace_is_inside_its_bounding_rect_after_a_range_change(plots):
    """The curves' bounding rect is the view: a stale one would hide a trace (it did once)."""
    for t_end in (10.0, 10.1, 10.2, 10.3):  # pressure is drawn every third frame
        plots.show_traces(traces(t_end))
    for curve in (plots.raw_curve, plots.env_curve, plots.pressure_curve):
        x, y = curve.getData()
        rect = curve.boundingRect()
        assert len(x) > 0
        assert rect.top() <= float(np.nanmin(y)) and float(np.nanmax(y)) <= rect.bottom()
