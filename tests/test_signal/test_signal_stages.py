"""Each stage pinned against known signals: filters, envelopes, baseline, quality, metrics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biofeedback.signal import LiveProcessor, PipelineConfig, QualityConfig, QualityFlag, analyze
from biofeedback.signal.baseline import BaselineEstimator
from biofeedback.signal.config import BaselineConfig
from biofeedback.signal.envelope import MultiRms, Tkeo
from biofeedback.signal.filters import (
    SosFilter,
    design_bandpass,
    design_lowpass,
    design_notch,
)
from biofeedback.signal.metrics import SegmentSpectra, median_frequency
from biofeedback.signal.quality import assess

FS = 2000.0
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def sine(f: float, seconds: float = 3.0, amp: float = 1.0, fs: float = FS) -> np.ndarray:
    return amp * np.sin(2 * np.pi * f * np.arange(int(seconds * fs)) / fs)


def gain_db(sos: np.ndarray, f: float, fs: float = FS) -> float:
    y = SosFilter(sos, 1).process(sine(f, seconds=max(3.0, 20 / f), fs=fs)[:, None])[:, 0]
    tail = y[len(y) // 2:]
    return 20 * np.log10(np.sqrt(2) * np.sqrt(np.mean(tail**2)))


def test_bandpass_sine_response():
    sos = design_bandpass(FS, 20, 450, 4)
    for f in (60, 100, 200, 300):
        assert abs(gain_db(sos, f)) < 0.5, f  # pass band
    assert gain_db(sos, 20) == pytest.approx(-3.0, abs=0.3)  # corner
    assert gain_db(sos, 450) == pytest.approx(-3.0, abs=0.3)
    assert gain_db(sos, 5) < -40  # movement band
    assert gain_db(sos, 800) < -20


def test_notch_removes_mains_and_harmonics_only():
    sos = design_notch(FS, 50, harmonics=3)
    for f in (50, 100, 150):
        assert gain_db(sos, f) < -30
    for f in (80, 125, 200):
        assert abs(gain_db(sos, f)) < 0.5
    assert gain_db(design_notch(FS, 60), 60) < -30


def test_lowpass_for_pressure():
    sos = design_lowpass(100.0, 5.0, 2)
    assert abs(gain_db(sos, 0.5, fs=100.0)) < 0.1
    assert gain_db(sos, 5.0, fs=100.0) == pytest.approx(-3.0, abs=0.3)
    assert gain_db(sos, 25.0, fs=100.0) < -25


def test_dc_offset_does_not_ring_at_start():
    """A 12-bit ADC idles at mid-scale: the band-pass must not turn that step into a burst."""
    x = 2048.0 + np.random.default_rng(0).standard_normal(4000)
    y = LiveProcessor(FS, ("pfm",)).process_emg(x, 0).filtered[:, 0]
    assert np.abs(y).max() < 6  # noise only, no 2048-sized transient


def test_rms_of_known_noise_and_sine():
    rng = np.random.default_rng(1)
    noise = rng.standard_normal((40000, 1)) * 5.0
    env = MultiRms([500], 1).process(noise)[0][1000:, 0]
    assert env.mean() == pytest.approx(5.0, rel=0.02)
    s = sine(100, amp=10.0)[:, None]
    env = MultiRms([500], 1).process(s)[0][1000:, 0]
    np.testing.assert_allclose(env, 10 / np.sqrt(2), rtol=1e-3)


def test_rms_start_up_and_exact_block_invariance():
    x = np.random.default_rng(2).standard_normal((5000, 2))
    whole = MultiRms([500, 100], 2).process(x)
    assert whole[0][0, 0] == pytest.approx(abs(x[0, 0]))  # mean over the samples seen so far
    m = MultiRms([500, 100], 2)
    parts = [m.process(x[a:a + k]) for a, k in ((0, 1), (1, 7), (8, 4992))]
    for i in range(2):
        assert np.array_equal(np.concatenate([p[i] for p in parts]), whole[i])


def test_tkeo_of_a_sine():
    """ψ of A·sin(ωn) is A²·sin²(ω): constant, one sample late."""
    w = 2 * np.pi * 100 / FS
    x = (3.0 * np.sin(w * np.arange(400)))[:, None]
    psi = Tkeo(1).process(x)[2:, 0]
    np.testing.assert_allclose(psi, 9.0 * np.sin(w) ** 2, rtol=1e-9)


def test_baseline_pools_rest_seconds_and_skips_contraction_seconds():
    fs = 1000.0
    est = BaselineEstimator(fs, 1, BaselineConfig())
    rng = np.random.default_rng(3)
    levels = [3.0, 3.0, 30.0, 30.0, 3.2, 2.9]
    for s, lv in enumerate(levels):
        env = lv * (1 + 0.05 * rng.standard_normal((1000, 1)))
        est.feed(s * 1000, env, env, valid_from=0)
        est.end_second()
        if s == 0:
            assert est.baseline is not None  # ready after one second
    b = est.baseline
    assert b.mean[0] == pytest.approx(3.0, rel=0.05)
    assert b.seconds == pytest.approx(4.0)  # the two contraction seconds are not pooled


def test_flat_clipped_and_motion_flags():
    cfg = QualityConfig()
    rng = np.random.default_rng(4)
    bp = rng.standard_normal((3, 2000, 1)) * 5
    raw = bp.copy()
    raw[0] = 0.0  # lead off
    bp[0] = 0.0
    raw[1] = np.clip(raw[1] * 10, -20, 20)  # saturated amplifier
    bp[1] = raw[1]
    t = np.arange(2000) / FS
    raw[2, :, 0] += 200 * np.sin(np.pi * np.clip((t - 0.4) / 0.15, 0, 1))  # a movement
    env = np.full_like(bp, 5.0)
    flags, *_ = assess(raw, bp, env, np.zeros((3, 1)), FS, cfg)
    assert flags[0, 0] & QualityFlag.FLAT
    assert flags[1, 0] & QualityFlag.CLIPPED
    assert flags[2, 0] & QualityFlag.MOTION
    clean, *_ = assess(bp[2:] * 1.0, bp[2:], env[2:], np.zeros((1, 1)), FS, cfg)
    assert clean[0, 0] == QualityFlag.OK


@pytest.mark.skipif(not DATA.is_dir(), reason=f"real recordings not found at {DATA}")
def test_quality_on_the_hum_and_dropout_recording():
    z = np.load(DATA / "emgflow_face_2000hz_hum.npz")
    x, fs = np.asarray(z["signal"], float) * 1000.0, float(z["fs"])  # mV -> µV
    assert np.isnan(x[:, 0]).sum() == 100  # the documented dropout at 8.3 s
    r = analyze(x, fs, channels=("zygomaticus", "corrugator"))
    by_second = {q.second: q for q in r.quality}
    assert by_second[8].flags[0] & QualityFlag.DROPOUT
    assert sum(1 for q in r.quality if q.flags[0] & QualityFlag.DROPOUT) == 1
    assert sum(1 for q in r.quality if q.flags[0] & QualityFlag.HUM) >= 8
    assert r.hum_hz == 50.0 and r.suggestion in ("notch", "notch-recording")  # worded by app/
    assert np.isfinite(r.envelope).all()


@pytest.mark.skipif(not DATA.is_dir(), reason=f"real recordings not found at {DATA}")
def test_real_recording_starting_with_one_second_of_rest():
    """BioSPPy emg_1: the first burst starts ~1.5 s in; the baseline must still be rest."""
    z = np.load(DATA / "biosppy_emg1_1000hz.npz")
    r = analyze(z["signal"][:, 0], float(z["fs"]))
    quiet = r.envelope[int(5 * 1000):int(14 * 1000), 0]  # a documented long rest
    assert r.baseline.mean[0] == pytest.approx(np.median(quiet), rel=0.35)
    assert r.events[0].onset_s == pytest.approx(1.5, abs=0.3)


def test_median_frequency_of_known_spectra():
    assert median_frequency(sine(120.0), FS) == pytest.approx(120.0, abs=2.0)
    noise = np.random.default_rng(5).standard_normal(20000)
    assert median_frequency(noise, FS) == pytest.approx(500.0, rel=0.03)  # flat to 1 kHz
    spec = SegmentSpectra(noise, FS)
    mask = np.zeros(20000, bool)
    assert spec.median_frequency(mask) is None


def test_segment_metrics_formulas(sim):
    emg, _, _ = sim("rest:4,contract:3@0.6,rest:5", seed=8)
    r = analyze(emg, FS, PipelineConfig(), segments=[("pre", 1.0, 4.0)])
    m = r.metrics["pre"]
    env = r.envelope[2000:8000, 0]
    assert m.mean_uv == pytest.approx(env.mean(), rel=1e-9)
    assert m.sd_uv == pytest.approx(env.std(), rel=1e-9)
    assert m.cv_percent == pytest.approx(100 * env.std() / env.mean(), rel=1e-9)
    c = r.metrics["contractions"]
    ev = r.events[0]
    assert c.contractions == 1 and c.rise_time_s == pytest.approx(ev.time_to_peak_s)
    assert c.recovery_latency_s == pytest.approx(ev.recovery_latency_s)
    # the simulator's EMG is white noise band-limited to 20-450 Hz: MDF near the band centre
    assert 180 < c.median_frequency_hz < 280
    assert r.metrics["rest"].mean_uv < 0.2 * c.mean_uv


def test_glazer_protocol_events_and_slow_release(sim):
    emg, _, sc = sim(",".join(["rest:3"] + ["contract:2@0.8,rest:6"] * 3
                              + ["contract:5@0.7,rest:8"] * 2), seed=9)
    r = analyze(emg, FS)
    truth = sc.contraction_intervals()
    assert len(r.events) == len(truth) == 5
    for ev, (a, _) in zip(r.events, truth, strict=True):
        assert abs(ev.onset_s - a) < 0.1
    fast, _, _ = sim("rest:3,contract:3@0.6,rest:10", seed=10)
    slow, _, _ = sim("rest:3,contract:3@0.6,rest:10~2.5", seed=10)
    rf = analyze(fast, FS).events[0].recovery_latency_s
    rs = analyze(slow, FS).events[0].recovery_latency_s
    assert rf is not None and rs is not None and rs > 3 * rf  # a slow let-go is measured


def test_motion_artefacts_are_flagged_and_excluded(sim):
    emg, _, _ = sim("rest:30", seed=12, motion_per_min=20.0)
    r = analyze(emg, FS)
    n_motion = sum(1 for q in r.quality if q.flags[0] & QualityFlag.MOTION)
    assert n_motion >= 3
    assert r.metrics["recording"].usable_s == pytest.approx(30 - n_motion, abs=0.01)


def test_pressure_drift_removal_and_rest_tracking():
    from biofeedback.signal import PressureConfig, PressurePipeline

    fs = 100.0
    t = np.arange(int(120 * fs)) / fs
    p = 18.0 + 0.05 * t  # the probe settles: +6 cmH2O over 2 min, no squeeze
    p[int(60 * fs):int(65 * fs)] += 20.0  # one squeeze
    plain = PressurePipeline(fs, PressureConfig())
    fixed = PressurePipeline(fs, PressureConfig(remove_drift=True))
    a = np.concatenate([plain.process(p[i:i + 2, None]).filtered[:, 0] for i in range(0, len(p), 2)])
    out = [fixed.process(p[i:i + 2, None]) for i in range(0, len(p), 2)]
    b = np.concatenate([f.filtered[:, 0] for f in out])
    rise = np.concatenate([f.rise_cmh2o for f in out])
    assert a[-100:].mean() == pytest.approx(24.0, abs=0.5)  # drift kept without removal
    assert b[-100:].mean() == pytest.approx(18.0, abs=1.5)  # removed: back near the first rest
    assert rise[int(62 * fs):int(64 * fs)].mean() == pytest.approx(20.0, abs=1.5)


def test_pressure_rest_and_rise_are_the_same_for_any_block_size():
    """The resting level is tracked one sample at a time in the same operations whatever
    the block (signal/kernels.py: rest_track): live 2-sample blocks, replay's 2-s blocks and
    a whole recording give the same numbers, bit for bit."""
    from biofeedback.signal import PressureConfig, PressurePipeline

    fs = 100.0
    rng = np.random.default_rng(5)
    p = 18.0 + 0.03 * np.arange(int(90 * fs)) / fs + rng.normal(0, 0.2, int(90 * fs))
    p[int(30 * fs):int(34 * fs)] += 15.0  # a squeeze: the level holds through it
    p[int(50 * fs)] = np.nan  # a lost sample
    runs = []
    for step in (2, 200, 7, len(p)):
        pipe = PressurePipeline(fs, PressureConfig(remove_drift=True))
        frames = [pipe.process(p[i:i + step, None]) for i in range(0, len(p), step)]
        runs.append((np.concatenate([f.filtered[:, 0] for f in frames]),
                     np.concatenate([f.rise_cmh2o for f in frames]), pipe.rest))
    for filtered, rise, rest in runs[1:]:
        assert np.array_equal(filtered, runs[0][0], equal_nan=True)
        assert np.array_equal(rise, runs[0][1], equal_nan=True)
        assert rest == runs[0][2]
    rise = runs[0][1]
    assert np.isnan(rise[: int(fs)]).all()  # the first second sets the level
    assert np.isfinite(rise[int(fs):]).all()
    assert rise[int(31 * fs):int(33 * fs)].mean() == pytest.approx(15.0, abs=1.5)


def test_display_smoothing_keeps_streaming_equal_to_offline(sim):
    from biofeedback.signal import EmgConfig, LiveProcessor

    emg, _, _ = sim("rest:2,contract:2@0.6,rest:3", seed=13)
    cfg = PipelineConfig(emg=EmgConfig(display_smoothing_s=0.2))
    off = analyze(emg, FS, cfg)
    rough = analyze(emg, FS)
    rest = slice(int(5.5 * FS), int(7 * FS))
    assert off.envelope[rest, 0].std() < rough.envelope[rest, 0].std()
    proc = LiveProcessor(FS, ("pfm", "abdominal"), config=cfg)
    env = np.concatenate([proc.process_emg(emg[i:i + 37], i).envelope
                          for i in range(0, len(emg), 37)])
    assert np.array_equal(env, off.envelope)


def test_marked_rest_offline_matches_the_live_button(sim):
    emg, _, _ = sim("rest:3,contract:2@0.6,rest:5", seed=14, rest_rms_uv=4.0)
    r = analyze(emg, FS, rest_intervals=[(5.5, 9.5)])
    assert r.baseline.source == "marked"
    assert r.baseline.mean[0] == pytest.approx(4.0, rel=0.2)
    assert r.baseline.seconds == pytest.approx(4.0, abs=0.1)
