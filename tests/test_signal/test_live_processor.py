"""The live API the acquisition thread and the window call."""

from __future__ import annotations

import numpy as np
import pytest

from biofeedback.signal import (
    DetectionConfig,
    EmgConfig,
    LiveProcessor,
    PipelineConfig,
    QualityFlag,
)

FS = 2000.0


def feed(proc: LiveProcessor, emg: np.ndarray, block: int = 40, start: int = 0):
    frames = []
    for pos in range(0, len(emg), block):
        frames.append(proc.process_emg(emg[pos:pos + block], start + pos))
    return frames


def test_defaults_are_clinical():
    c = PipelineConfig()
    assert (c.emg.band_low_hz, c.emg.band_high_hz, c.emg.filter_order) == (20.0, 450.0, 4)
    assert c.emg.notch_hz is None  # off by default, suggested when hum is measured
    assert c.emg.rms_window_s == 0.25
    assert (c.detection.k_on, c.detection.k_off) == (3.0, 1.5)
    with pytest.raises(ValueError):
        EmgConfig(notch_hz=55)


def test_status_before_any_data_is_not_ready():
    st = LiveProcessor(FS, ("pfm",)).status()
    assert not st.baseline_ready
    assert np.isnan(st.threshold_uv) and np.isnan(st.relaxation)
    assert st.last_index == -1


def test_baseline_from_one_second_of_rest_then_contraction(two_contractions):
    emg, _, sc = two_contractions
    proc = LiveProcessor(FS, ("pfm", "abdominal"))
    frames = feed(proc, emg[: int(1.5 * FS)])
    st = proc.status()
    assert st.baseline_ready and st.baseline_source == "auto"
    # simulated resting PFM is 3 µV RMS plus 0.5 µV amplifier noise
    assert 2.4 < st.baseline_mean_uv < 3.6
    assert 0 < st.baseline_sd_uv < 1.0
    assert st.threshold_uv == pytest.approx(st.baseline_mean_uv + st.baseline_sd_uv)
    assert st.contraction_active  # the contraction began at 1.0 s
    started = [ev for f in frames for ev in f.events]
    assert len(started) == 1 and not started[0].complete
    assert abs(started[0].onset_s - sc.contraction_intervals()[0][0]) < 0.05


def test_frame_shapes_relaxation_and_events(two_contractions):
    emg, _, sc = two_contractions
    proc = LiveProcessor(FS, ("pfm", "abdominal"))
    frames = feed(proc, emg)
    f = frames[-1]
    assert f.filtered.shape == (40, 2) and f.envelope.shape == (40, 2)
    assert f.relaxation.shape == (40,) and f.active.shape == (40,)
    rel = np.concatenate([fr.relaxation for fr in frames])
    assert np.isnan(rel[: int(FS) - 1]).all()  # no baseline yet during the first second
    t = np.arange(len(rel)) / FS
    in_contraction = (t > 1.5) & (t < 2.9)
    at_rest = (t > 10.0) | ((t > 4.5) & (t < 7.0))
    assert np.nanmean(rel[in_contraction]) < 0.2
    assert np.nanmean(rel[at_rest]) > 0.8
    done = {ev.id: ev for fr in frames for ev in fr.events if ev.complete}
    assert len(done) == 2
    for ev, (a, b) in zip(done.values(), sc.contraction_intervals(), strict=True):
        assert abs(ev.onset_s - a) < 0.05
        assert ev.offset_s > b - 0.1
        assert ev.peak_uv > 20 and 0 < ev.time_to_peak_s < b - a + 0.5
        assert ev.recovery_latency_s is not None and 0 < ev.recovery_latency_s < 2.0
    st = proc.status()
    assert not st.contraction_active and st.contraction_count == 2
    assert st.relaxed_for_s > 1.0 and st.quality == QualityFlag.OK


def test_user_threshold_and_automatic_again(two_contractions):
    emg, _, _ = two_contractions
    proc = LiveProcessor(FS, ("pfm",))
    feed(proc, emg[: int(2 * FS), :1])
    auto = proc.status().threshold_uv
    proc.set_threshold_uv(10.0)
    assert proc.status().threshold_uv == 10.0 and proc.status().threshold_is_user
    proc.set_threshold_uv(None)
    assert proc.status().threshold_uv == auto
    with pytest.raises(ValueError):
        proc.set_threshold_uv(-1.0)


def test_marked_rest_recomputes_the_baseline(sim):
    quiet, _, _ = sim("rest:4", seed=5, rest_rms_uv=3.0)
    tense, _, _ = sim("rest:4", seed=6, rest_rms_uv=8.0)
    proc = LiveProcessor(FS, ("pfm", "abdominal"))
    feed(proc, quiet)
    assert proc.status().baseline_mean_uv < 4.0
    proc.mark_rest(True)
    feed(proc, tense, start=len(quiet))
    proc.mark_rest(False)
    st = proc.status()
    assert st.baseline_source == "marked"
    assert 6.5 < st.baseline_mean_uv < 9.5


def test_gap_closes_contraction_and_restarts_filters(two_contractions):
    emg, _, _ = two_contractions
    proc = LiveProcessor(FS, ("pfm", "abdominal"))
    feed(proc, emg[: int(2 * FS) + 20])  # stops inside the first contraction
    assert proc.status().contraction_active
    fr = proc.process_emg(emg[int(6 * FS): int(6 * FS) + 40], int(6 * FS) + 500)  # samples lost
    closed = [ev for ev in fr.events if ev.complete]
    assert len(closed) == 1 and closed[0].truncated
    assert closed[0].offset_index == int(2 * FS) + 20
    cut = [q for q in fr.quality if q.second == 2]  # the second cut by the gap
    assert len(cut) == 1 and cut[0].flags[0] & QualityFlag.DROPOUT
    assert not proc.status().contraction_active
    assert proc.status().baseline_ready  # the baseline survives a gap


def test_nan_samples_are_held_and_flagged(two_contractions):
    emg, _, _ = two_contractions
    x = emg[: int(3 * FS)].copy()
    x[int(2.2 * FS): int(2.2 * FS) + 100] = np.nan
    proc = LiveProcessor(FS, ("pfm", "abdominal"))
    frames = feed(proc, x, block=400)
    env = np.concatenate([f.envelope for f in frames])
    assert np.isfinite(env).all()
    frames.append(proc.finish())  # the last second's quality is still being assessed
    q = {s.second: s for f in frames for s in f.quality}
    assert q[2].flags[0] & QualityFlag.DROPOUT and not q[1].flags[0] & QualityFlag.DROPOUT


def test_hum_is_measured_and_the_notch_suggested(sim):
    emg, _, _ = sim("rest:8", seed=2, hum_uv=5.0)
    proc = LiveProcessor(FS, ("pfm", "abdominal"))
    feed(proc, emg)
    st = proc.status()
    assert st.hum_detected and st.hum_hz == 50.0 and "notch" in st.suggestion
    notch = LiveProcessor(FS, ("pfm", "abdominal"),
                          config=PipelineConfig(emg=EmgConfig(notch_hz=50)))
    frames = feed(notch, emg)
    assert not notch.status().hum_detected  # the notch is on: nothing to suggest
    env = np.concatenate([f.envelope for f in frames])[int(2 * FS):, 0]
    assert np.median(env) < 0.8 * st.baseline_mean_uv  # hum no longer inflates the envelope


def test_strain_flag_from_abdominal_channel_and_pressure(sim):
    emg, pr, _ = sim("rest:4,strain:4@0.6,rest:3,contract:3@0.6,rest:3", seed=4)
    proc = LiveProcessor(FS, ("pfm", "abdominal"), pressure_fs=100.0)
    strain = []
    for k in range(len(emg) // 40):
        proc.process_pressure(pr[2 * k: 2 * k + 2], 2 * k)
        strain.append(proc.process_emg(emg[40 * k: 40 * k + 40], 40 * k).strain)
        if k * 40 == int(6 * FS):
            assert proc.status().strain
            assert proc.status().pressure_rise_cmh2o > 5.0
    s = np.concatenate(strain)
    t = np.arange(len(s)) / FS
    assert s[(t > 4.5) & (t < 8)].mean() > 0.9
    assert s[(t > 11.5) & (t < 14)].mean() < 0.05  # a pelvic-floor squeeze is not a strain


def test_pressure_frame_units_and_rise(sim):
    _, pr, _ = sim("rest:3,contract:3@0.6,rest:3", seed=1)
    proc = LiveProcessor(FS, ("pfm",), pressure_fs=100.0)
    out = [proc.process_pressure(pr[k:k + 2], k) for k in range(0, len(pr), 2)]
    rise = np.concatenate([f.rise_cmh2o for f in out])
    assert 16 < out[-1].rest_cmh2o < 20  # simulated rest 18 cmH2O
    assert rise[400:550].mean() > 15  # squeeze at 60 % of 35 cmH2O
    mm = LiveProcessor(FS, ("pfm",), pressure_fs=100.0,
                       config=PipelineConfig(pressure=PipelineConfig().pressure.__class__(
                           unit="mmHg")))
    f = mm.process_pressure(pr[:100], 0)
    assert f.unit == "mmHg"
    assert f.filtered[50, 0] == pytest.approx(0.7356 * out[25].filtered[0, 0], rel=0.05)


def test_tkeo_detector_finds_the_same_contractions(two_contractions):
    emg, _, sc = two_contractions
    proc = LiveProcessor(FS, ("pfm", "abdominal"),
                         config=PipelineConfig(detection=DetectionConfig(tkeo=True)))
    frames = feed(proc, emg)
    done = {ev.id: ev for fr in frames for ev in fr.events if ev.complete}
    assert len(done) == 2
    for ev, (a, _) in zip(done.values(), sc.contraction_intervals(), strict=True):
        assert abs(ev.onset_s - a) < 0.15  # TKEO's envelope is noisier at rest: coarser onset
