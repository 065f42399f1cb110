"""The feedback tone: pitch follows the feedback model, silence when relaxed, one chime per 10 s
relaxed stretch, no clicks at block edges, volume and mute, any block size gives one stream."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biofeedback.app.feedback import IDLE_VIEW, TONE_HIGH_HZ, TONE_LOW_HZ, MeterView, tone_hz
from biofeedback.app.tone import ToneConfig, ToneGenerator
from biofeedback.signal import FeedbackState

SR = 44100
TICK = SR // 10  # the GUI updates the tone every 0.1 s of audio in these tests
LINE, TOP = 5.0, 20.0


def view(state: FeedbackState, env: float = 3.0, relaxed_for: float = 0.0) -> MeterView:
    """A meter view as FeedbackModel builds it (pitch from the one mapping, tone_hz)."""
    return MeterView(state, state.key, "", env / TOP, LINE / TOP, env, LINE, TOP, relaxed_for,
                     None, tone_hz(state, env, LINE, TOP))


TIGHT = FeedbackState.TIGHT
RELAXED = FeedbackState.RELAXED


def play(gen: ToneGenerator, v: MeterView, seconds: float, t0: float = 0.0,
         relaxed_clock: bool = False) -> tuple[np.ndarray, float]:
    """Update every 0.1 s (the view's relaxed time advancing if asked) and render; returns the
    audio and the end time."""
    out, t = [], t0
    for _ in range(round(seconds * 10)):
        if relaxed_clock:
            v = view(v.state, v.envelope_uv, v.relaxed_for_s + 0.1)
        gen.update(v, t)
        out.append(gen.render(TICK))
        t += 0.1
    return np.concatenate(out), t


def est_hz(x: np.ndarray) -> float:
    """Frequency of the strongest component: zero-padded Hann FFT, parabolic peak."""
    n = 8 * len(x)
    mag = np.abs(np.fft.rfft(x * np.hanning(len(x)), n))
    k = int(np.argmax(mag))
    a, b, c = np.log(mag[k - 1:k + 2] + 1e-300)
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * SR / n


def zero_crossing_hz(x: np.ndarray) -> float:
    s = np.flatnonzero((x[:-1] < 0) & (x[1:] >= 0))
    t = s + x[s] / (x[s] - x[s + 1])  # interpolated crossing instants
    return (len(t) - 1) / ((t[-1] - t[0]) / SR)


@pytest.mark.parametrize("env", [5.5, 8.0, 12.5, 20.0, 30.0])
def test_pitch_follows_the_feedback_model(env):
    gen = ToneGenerator(volume=1.0)
    v = view(TIGHT, env)
    x, _ = play(gen, v, 1.5)
    steady = x[SR // 2:]
    expected = v.tone_hz
    assert expected is not None
    assert est_hz(steady) == pytest.approx(expected, abs=0.5)
    assert zero_crossing_hz(steady) == pytest.approx(expected, abs=0.5)
    assert gen.status().target_hz == pytest.approx(expected)


def test_pitch_falls_as_the_muscle_lets_go():
    gen = ToneGenerator(volume=1.0)
    pitches = []
    for env in (20.0, 15.0, 10.0, 6.0):
        x, _ = play(gen, view(FeedbackState.LETTING_GO, env), 1.0)
        pitches.append(est_hz(x[SR // 2:]))
    assert pitches == sorted(pitches, reverse=True)
    assert pitches[0] == pytest.approx(TONE_HIGH_HZ, abs=0.5)
    assert pitches[-1] < TONE_LOW_HZ + 40


def test_pitch_glides_to_a_new_target():
    gen = ToneGenerator(volume=1.0)
    play(gen, view(TIGHT, 20.0), 0.5)
    x, _ = play(gen, view(TIGHT, 5.0), 1.0)  # 660 Hz → 220 Hz
    assert est_hz(x[int(0.6 * SR):]) == pytest.approx(TONE_LOW_HZ, abs=0.5)
    early = zero_crossing_hz(x[: int(0.05 * SR)])
    assert TONE_LOW_HZ + 20 < early < TONE_HIGH_HZ  # still gliding, not jumped


@pytest.mark.parametrize("state", [FeedbackState.RELAXED, FeedbackState.SETTLING,
                                   FeedbackState.NO_SIGNAL])
def test_silent_when_relaxed_settling_or_no_signal(state):
    gen = ToneGenerator(volume=1.0)
    play(gen, view(TIGHT, 12.0), 0.5)
    x, _ = play(gen, view(state, 3.0), 1.0)
    assert np.abs(x[:100]).max() > 0  # fades out, no cut
    assert not np.any(x[int(0.1 * SR):])  # then exactly silent
    assert gen.status().target_hz is None


def test_idle_view_is_silent():
    gen = ToneGenerator(volume=1.0)
    gen.update(IDLE_VIEW, 0.0)
    assert not np.any(gen.render(SR))


def test_below_line_tone_when_silence_is_not_chosen():
    gen = ToneGenerator(volume=1.0, silent_below_line=False)
    x_line, _ = play(gen, view(RELAXED, LINE), 1.0)
    x_low, _ = play(gen, view(RELAXED, LINE / 2), 1.0)
    assert est_hz(x_line[SR // 2:]) == pytest.approx(TONE_LOW_HZ, abs=0.5)
    low = ToneConfig().below_line_low_hz
    assert est_hz(x_low[SR // 2:]) == pytest.approx((low + TONE_LOW_HZ) / 2, abs=0.5)
    assert np.abs(x_low[SR // 2:]).max() < np.abs(x_line[SR // 2:]).max()  # softer too
    gen.set_silent_below_line(True)
    x, _ = play(gen, view(RELAXED, LINE / 2), 0.5)
    assert not np.any(x[int(0.1 * SR):])


def _chime_energy(x: np.ndarray) -> float:
    """Energy near the chime's 880 Hz partial per 0.1 s tick."""
    ticks = x[: len(x) // TICK * TICK].reshape(-1, TICK)
    spec = np.abs(np.fft.rfft(ticks * np.hanning(TICK), axis=1))
    f = np.fft.rfftfreq(TICK, 1 / SR)
    return spec[:, (f > 860) & (f < 900)].sum(axis=1)


def test_chime_after_10_s_below_the_line_once_per_stretch():
    gen = ToneGenerator(volume=1.0)
    x1, t = play(gen, view(RELAXED, 3.0), 9.5, relaxed_clock=True)
    assert gen.status().chimes == 0
    assert not np.any(x1)  # silent below the line, no chime yet
    x2, t = play(gen, view(RELAXED, 3.0, 9.5), 15.0, t, relaxed_clock=True)
    assert gen.status().chimes == 1  # once, though the stretch went on to 24.5 s
    e = _chime_energy(x2)
    assert np.argmax(e > 0.01 * e.max()) in (4, 5)  # it rings at 10 s (0.5 s into x2)
    assert not np.any(x2[-5 * SR:])  # rang out, no second chime
    _, t = play(gen, view(TIGHT, 12.0), 1.0, t)  # the stretch ends
    _, t = play(gen, view(RELAXED, 3.0), 9.0, t, relaxed_clock=True)
    assert gen.status().chimes == 1  # 9 s is not enough
    play(gen, view(TIGHT, 12.0), 0.3, t)
    _, t = play(gen, view(RELAXED, 3.0), 10.5, t + 0.3, relaxed_clock=True)
    assert gen.status().chimes == 2


def test_chime_counts_the_time_already_relaxed_when_the_first_view_comes():
    gen = ToneGenerator()
    play(gen, view(RELAXED, 3.0, relaxed_for=8.0), 1.9)
    assert gen.status().chimes == 0
    play(gen, view(RELAXED, 3.0, relaxed_for=8.0), 0.2, t0=1.9)
    assert gen.status().chimes == 1


def test_volume_scales_the_tone_and_mute_silences_it():
    def rms(volume: float, muted: bool = False) -> float:
        gen = ToneGenerator(volume=volume, muted=muted)
        x, _ = play(gen, view(TIGHT, 20.0), 1.0)
        return float(np.sqrt(np.mean(x[SR // 2:] ** 2)))

    full = rms(1.0)
    assert full == pytest.approx(ToneConfig().level / math.sqrt(2), rel=0.01)  # moderate
    assert rms(0.5) == pytest.approx(full / 2, rel=0.01)
    assert rms(0.0) == 0.0
    assert rms(1.0, muted=True) == 0.0
    gen = ToneGenerator(volume=0.8)
    play(gen, view(TIGHT, 12.0), 0.5)
    gen.set_muted(True)
    x, _ = play(gen, view(TIGHT, 12.0), 0.5)
    assert not np.any(x[int(0.1 * SR):])
    gen.set_muted(False)
    x, _ = play(gen, view(TIGHT, 12.0), 0.5)
    assert np.abs(x[SR // 4:]).max() > 0.1
    assert gen.status().volume == 0.8
    gen.set_volume(7.0)
    assert gen.status().volume == 1.0


def test_a_frozen_gui_fades_the_tone_out():
    gen = ToneGenerator(volume=1.0)
    gen.update(view(TIGHT, 12.0), 0.0)
    x = gen.render(3 * SR)  # no update for 3 s of audio
    assert np.abs(x[: SR]).max() > 0.1
    assert not np.any(x[int(2.1 * SR):])


def _scripted_stream(sizes: list[int]) -> np.ndarray:
    """A session's tone with updates every 0.1 s (onset, pitch jumps, volume, mute, a chime),
    each tick's audio rendered in blocks of ``sizes`` (cycled)."""
    gen = ToneGenerator(volume=0.7)
    script = ([view(FeedbackState.SETTLING)] * 3 + [view(TIGHT, 20.0)] * 4
              + [view(TIGHT, 6.0)] * 3 + [view(RELAXED, 3.0, 9.8)] * 8 + [view(TIGHT, 14.0)] * 4)
    out, k = [], 0
    for i, v in enumerate(script):
        if i == 12:
            gen.set_volume(0.3)
        if i == 20:
            gen.set_muted(True)
        gen.update(v, i * 0.1)
        left = TICK
        while left:
            n = min(sizes[k % len(sizes)], left)
            out.append(gen.render(n))
            left, k = left - n, k + 1
    return np.concatenate(out).astype(np.float64)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.integers(1, 64), st.integers(65, 2048), st.integers(2049, 20000)),
                min_size=1, max_size=12))
def test_any_block_size_renders_the_same_stream(sizes):
    reference = _scripted_stream([TICK])
    np.testing.assert_allclose(_scripted_stream(sizes), reference, atol=1e-6, rtol=0)


def test_no_clicks_at_block_edges():
    """Value and slope stay continuous at every sample, block joins and transitions included:
    first and second differences never exceed those of the loudest, highest sine present."""
    rng = np.random.default_rng(5)
    x = _scripted_stream(rng.integers(1, 3000, size=50).tolist())
    c = ToneConfig()
    w_tone = 2 * math.pi * TONE_HIGH_HZ / SR
    w1, w2 = (2 * math.pi * f / SR for f in c.chime_hz)
    a_tone, a_chime = 0.7 * c.level, 0.7 * c.chime_gain * c.level / 1.5
    d1_max = a_tone * w_tone + a_chime * (w1 + 0.5 * w2)
    d2_max = a_tone * w_tone**2 + a_chime * (w1**2 + 0.5 * w2**2)
    assert np.abs(np.diff(x)).max() <= 1.05 * d1_max
    assert np.abs(np.diff(x, 2)).max() <= 1.05 * d2_max
    # the check can fail: a hard switch at a block edge breaks the slope bound
    t = np.arange(4000) / SR
    naive = np.where(t < 0.05, 0.0, 0.7 * c.level * np.sin(2 * np.pi * 440 * t + 1.0))
    assert np.abs(np.diff(naive, 2)).max() > 5 * d2_max


def _hf_share_db(x: np.ndarray, cutoff_hz: float = 4000.0) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    f = np.fft.rfftfreq(len(x), 1 / SR)
    return 10 * math.log10(spec[f > cutoff_hz].sum() / spec.sum())


def test_transitions_have_no_broadband_click_energy():
    gen = ToneGenerator(volume=1.0)
    play(gen, view(FeedbackState.SETTLING), 0.3)
    onset, _ = play(gen, view(TIGHT, 12.0), 0.3)  # silence → tone
    jump, _ = play(gen, view(TIGHT, 20.0), 0.3)  # pitch jump
    offset, _ = play(gen, view(RELAXED, 3.0), 0.3)  # tone → silence
    for x in (onset, jump, offset):
        assert _hf_share_db(x) < -60.0
    t = np.arange(len(onset)) / SR
    clicky = np.where(t < 0.1, 0.0, 0.25 * np.sin(2 * np.pi * 440 * t + 1.0))  # a hard onset
    assert _hf_share_db(clicky) > -45.0


def test_chime_is_click_free_and_soft():
    gen = ToneGenerator(volume=1.0)
    x, _ = play(gen, view(RELAXED, 3.0, 9.9), 3.0, relaxed_clock=True)
    assert gen.status().chimes == 1
    assert _hf_share_db(x) < -60.0
    assert np.abs(x).max() <= ToneConfig().level  # no louder than the tone itself


def test_int16_output_is_scaled_full_range():
    gen = ToneGenerator(volume=1.0)
    gen.update(view(TIGHT, 20.0), 0.0)
    gen.render(SR // 2)
    y = gen.render_int16(SR // 10)
    assert y.dtype == np.int16
    assert abs(int(np.abs(y).max()) - round(32767 * ToneConfig().level)) <= 2


def test_render_on_another_thread_while_the_gui_updates():
    gen = ToneGenerator()
    blocks: list[np.ndarray] = []
    done = threading.Event()

    def audio() -> None:
        while not done.is_set() or len(blocks) < 50:
            blocks.append(gen.render(441))

    th = threading.Thread(target=audio)
    th.start()
    for i in range(2000):
        gen.update(view(TIGHT if i % 2 else RELAXED, 4.0 + i % 16), i * 0.01)
        gen.set_volume((i % 10) / 10)
    done.set()
    th.join(timeout=10)
    assert not th.is_alive()
    x = np.concatenate(blocks)
    assert np.isfinite(x).all()
    assert np.abs(x).max() <= 1.0
