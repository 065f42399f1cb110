"""The simulated sensor keeps the statistics it promises (rates, channels, µV and cmH2O levels)."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest

from biofeedback.devices.scenario import NAMED_SCENARIOS, Scenario, get_scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSensor, SimulatedSignal
from biofeedback.streams import ChannelKind, EventKind


def _collect(scenario: str, seconds: float, **cfg) -> tuple[np.ndarray, np.ndarray]:
    sig = SimulatedSignal(Scenario.parse(scenario), SimulatedConfig(**cfg))
    blocks = list(sig.generate(seconds))
    emg = np.concatenate([b.data for b in blocks if b.stream == "emg"])
    pressure = np.concatenate([b.data for b in blocks if b.stream == "pressure"])
    return emg, pressure


def _rms(x: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean(x**2, axis=0))


def test_channel_metadata_and_rates():
    with SimulatedSensor("rest") as src:
        info = src.info
    emg, pressure = info.stream("emg"), info.stream("pressure")
    assert emg.fs == 2000.0 and pressure.fs == 100.0
    assert [c.name for c in emg.channels] == ["pfm", "abdominal"]
    assert all(c.kind is ChannelKind.EMG and c.unit == "uV" for c in emg.channels)
    (p,) = pressure.channels
    assert p.kind is ChannelKind.PRESSURE and p.unit == "cmH2O"


def test_sample_counts_and_contiguous_indices():
    sig = SimulatedSignal(get_scenario("rest"))
    blocks = list(sig.generate(3.0))
    emg = [b for b in blocks if b.stream == "emg"]
    pressure = [b for b in blocks if b.stream == "pressure"]
    assert sum(b.n_samples for b in emg) == 6000
    assert sum(b.n_samples for b in pressure) == 300
    for seq in (emg, pressure):
        assert all(a.end_index == b.first_index for a, b in itertools.pairwise(seq))
    assert emg[10].t0 == pytest.approx(emg[10].first_index / 2000.0)


def test_rest_and_contraction_rms_match_the_model():
    cfg = dict(rest_rms_uv=3.0, mvc_rms_uv=60.0, noise_floor_uv=0.5, seed=3)
    emg, _ = _collect("rest:10,contract:6@0.5,rest:10", 26.0, **cfg)
    fs = 2000
    rest = _rms(emg[1 * fs : 9 * fs, 0])
    contraction = _rms(emg[11 * fs : 15 * fs, 0])
    after = _rms(emg[19 * fs : 26 * fs, 0])
    expected_rest = np.hypot(3.0, 0.5)
    assert rest == pytest.approx(expected_rest, rel=0.05)
    assert contraction == pytest.approx(np.hypot(3.0 + 0.5 * 57.0, 0.5), rel=0.05)
    assert after == pytest.approx(expected_rest, rel=0.05)


def test_emg_is_band_limited_and_zero_mean():
    emg, _ = _collect("contract:8@0.5", 8.0, noise_floor_uv=0.0, seed=5)
    x = emg[:, 0]
    assert abs(x.mean()) < 0.05 * x.std()
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / 2000)
    in_band = spec[(f > 10) & (f < 600)].sum()
    assert in_band / spec.sum() > 0.95


def test_pressure_rises_with_squeeze_and_strain_without_pfm():
    emg, p = _collect("rest:6,contract:5@0.6,rest:6,strain:5@0.6,rest:4", 26.0, seed=2)
    rest_p = p[100:500, 0].mean()
    assert rest_p == pytest.approx(18.0, abs=1.0)
    squeeze = p[800:1100, 0].mean() - rest_p
    assert squeeze == pytest.approx(0.6 * 35.0, rel=0.1)
    strain = p[1900:2200, 0].mean() - rest_p
    assert strain == pytest.approx(0.6 * 45.0, rel=0.1)
    fs = 2000
    # while straining, the pelvic floor does not rise but the abdominal channel does
    assert _rms(emg[18 * fs : 22 * fs, 0]) < 1.2 * _rms(emg[1 * fs : 5 * fs, 0])
    assert _rms(emg[18 * fs : 22 * fs, 1]) > 5 * _rms(emg[1 * fs : 5 * fs, 1])


def test_mains_hum_shows_at_the_mains_frequency():
    emg, _ = _collect("rest:4", 4.0, hum_uv=20.0, seed=1)
    spec = np.abs(np.fft.rfft(emg[:, 0]))
    f = np.fft.rfftfreq(len(emg), 1 / 2000)
    assert abs(f[np.argmax(spec)] - 50.0) < 0.5


def test_slow_release_decays_slower():
    fast, _ = _collect("contract:3@0.6,rest:4", 7.0, release_tau_s=0.2, seed=4)
    slow, _ = _collect("contract:3@0.6,rest:4~2.0", 7.0, release_tau_s=0.2, seed=4)
    window = slice(int(3.8 * 2000), int(4.3 * 2000))  # 0.8-1.3 s after release
    assert _rms(slow[window, 0]) > 3 * _rms(fast[window, 0])


def test_deterministic_for_a_seed():
    a, _ = _collect("rest:1,contract:1", 2.0, seed=9)
    b, _ = _collect("rest:1,contract:1", 2.0, seed=9)
    c, _ = _collect("rest:1,contract:1", 2.0, seed=10)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("bad", ["", "walk:3", "rest:-1", "contract:2@1.5", "rest:abc"])
def test_bad_scenarios_are_rejected_with_a_clear_message(bad):
    with pytest.raises(ValueError, match="scenario|state|duration|effort"):
        Scenario.parse(bad)


def test_named_scenarios_are_valid():
    assert {"demo", "rest", "contractions", "slow-release", "strain", "glazer"} <= set(NAMED_SCENARIOS)
    glazer = NAMED_SCENARIOS["glazer"]
    assert len(glazer.contraction_intervals()) == 11
    assert glazer.duration_s == pytest.approx(60 + 5 * 12 + 5 * 20 + 60 + 60)


class _Collector:
    def __init__(self) -> None:
        self.blocks, self.events = [], []
        self.ended = threading.Event()

    def on_block(self, block):
        self.blocks.append(block)

    def on_event(self, event):
        self.events.append(event)
        if event.kind is EventKind.END:
            self.ended.set()


def test_threaded_source_delivers_the_scenario_and_ends():
    src = SimulatedSensor("rest:1,contract:1", speed=0)
    sink = _Collector()
    src.start(sink)
    assert sink.ended.wait(5.0)
    src.close()
    kinds = [e.kind for e in sink.events]
    assert kinds[0] is EventKind.CONNECTED and kinds[-1] is EventKind.END
    assert sum(b.n_samples for b in sink.blocks if b.stream == "emg") == 4000


def test_paced_source_follows_the_injected_clock():
    now = [0.0]

    def clock() -> float:
        return now[0]

    def sleep(dt: float) -> None:
        now[0] += dt

    src = SimulatedSensor("rest:2", speed=2.0, clock=clock, sleep=sleep)
    sink = _Collector()
    src.start(sink)
    assert sink.ended.wait(5.0)
    src.close()
    assert now[0] == pytest.approx(1.0, abs=0.03)  # 2 s of signal at 2x speed
