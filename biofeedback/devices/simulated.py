"""A simulated pelvic sensor: two sEMG channels (pelvic floor, abdominal) and vaginal pressure.

The muscle model follows the amplitudes in ``shared/reference/clinical.md`` §1 and §4: a
relaxed pelvic floor reads a few µV RMS, voluntary contractions tens of µV, resting vaginal
pressure ~15-25 cmH2O with a squeeze of +5..40 cmH2O. EMG is band-limited Gaussian noise whose
RMS follows the scripted activation through a first-order lag (fast rise, adjustable release);
pressure follows activation through a slower lag, plus breathing. Mains hum and motion
artefacts are optional. Everything is seeded, and :meth:`SimulatedSignal.generate` is
deterministic and clock-free so tests never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from biofeedback.devices.base import Source, SourceError
from biofeedback.devices.scenario import Scenario, get_scenario
from biofeedback.signal.filters import SosFilter
from biofeedback.signal.iir import butter_sos
from biofeedback.streams import (
    BlockFlag,
    ChannelInfo,
    ChannelKind,
    EventKind,
    SampleBlock,
    SourceInfo,
    StreamInfo,
)

CONTROL_HZ = 200  # muscle-state model update rate


@dataclass(frozen=True)
class SimulatedConfig:
    """Physiology and artefacts of the simulated person and sensor (units: µV RMS, cmH2O)."""

    emg_fs: float = 2000.0
    pressure_fs: float = 100.0
    block_s: float = 0.02
    rest_rms_uv: float = 3.0  # healthy relaxed PFM 1-6 µV (Oleksy 2020; MyoTrac guide)
    mvc_rms_uv: float = 60.0  # maximal squeeze; phasic ~50 µV in Oleksy 2020
    abdominal_rest_uv: float = 2.5
    abdominal_mvc_uv: float = 80.0
    crosstalk: float = 0.1  # share of PFM activation seen on the abdominal channel
    noise_floor_uv: float = 0.5  # amplifier input noise, broadband
    rise_tau_s: float = 0.06
    release_tau_s: float = 0.25
    pressure_rest_cmh2o: float = 18.0
    squeeze_cmh2o: float = 35.0  # pressure rise at MVC
    strain_cmh2o: float = 45.0  # pressure rise of a full Valsalva
    pressure_tau_s: float = 0.25
    breathing_hz: float = 0.2
    breathing_cmh2o: float = 0.8
    pressure_noise_cmh2o: float = 0.08
    mains_hz: float = 50.0
    hum_uv: float = 0.0  # amplitude of mains pick-up
    motion_per_min: float = 0.0  # rate of motion artefacts
    seed: int = 0

    @classmethod
    def hypertonic(cls, **kw: float) -> SimulatedConfig:
        """A raised, unstable resting tone as reported in vestibulodynia (White 1997)."""
        return replace(cls(), rest_rms_uv=7.0, release_tau_s=1.2, **kw)


def source_info(config: SimulatedConfig, name: str = "Simulated sensor") -> SourceInfo:
    emg = StreamInfo(
        "emg",
        config.emg_fs,
        (
            ChannelInfo("pfm", ChannelKind.EMG, "uV", "Pelvic floor EMG", -5000.0, 5000.0, 0.0),
            ChannelInfo("abdominal", ChannelKind.EMG, "uV", "Abdominal EMG", -5000.0, 5000.0, 0.0),
        ),
    )
    pressure = StreamInfo(
        "pressure",
        config.pressure_fs,
        (ChannelInfo("pressure", ChannelKind.PRESSURE, "cmH2O", "Vaginal pressure", -50.0, 300.0),),
    )
    return SourceInfo(name=name, kind="simulated", streams=(emg, pressure), serial_number="SIM-0001",
                      firmware="simulated")


class SimulatedSignal:
    """Deterministic generator of EMG and pressure blocks for a scenario."""

    def __init__(self, scenario: Scenario, config: SimulatedConfig | None = None) -> None:
        self.scenario = scenario
        self.config = config or SimulatedConfig()
        c = self.config
        self._rng = np.random.default_rng(c.seed)
        high = min(450.0, 0.45 * c.emg_fs)
        self._sos = butter_sos(4, (20.0, high), "bandpass", c.emg_fs)
        impulse = np.zeros((int(c.emg_fs * 2), 1))
        impulse[0] = 1.0
        self._gain = 1.0 / np.sqrt(np.sum(SosFilter(self._sos, 1).process(impulse) ** 2))
        self._shape = SosFilter(self._sos, 2)  # white noise -> the EMG band
        self._emg_index = 0
        self._p_index = 0
        self._t_ctrl = 0.0
        # per-channel state of the muscle model: current RMS of pfm and abdominal, pressure offset
        self._level = np.array([c.rest_rms_uv, c.abdominal_rest_uv])
        self._pressure_level = 0.0
        self._release_tau = c.release_tau_s
        self._motion: list[tuple[int, float]] = []  # (start sample, amplitude)

    @property
    def time_s(self) -> float:
        return self._emg_index / self.config.emg_fs

    def _targets(self, phase_t: float) -> tuple[np.ndarray, float]:
        c = self.config
        phase = self.scenario.phase_at(phase_t)
        if phase.release_tau_s is not None:
            self._release_tau = phase.release_tau_s
        elif phase.state != "rest":
            self._release_tau = c.release_tau_s
        if phase.state == "contract":
            pfm = c.rest_rms_uv + phase.effort * (c.mvc_rms_uv - c.rest_rms_uv)
            abd = c.abdominal_rest_uv + c.crosstalk * phase.effort * c.abdominal_mvc_uv
            pressure = phase.effort * c.squeeze_cmh2o
        elif phase.state == "strain":
            pfm = c.rest_rms_uv * 0.8  # the pelvic floor lengthens while bearing down
            abd = c.abdominal_rest_uv + phase.effort * c.abdominal_mvc_uv
            pressure = phase.effort * c.strain_cmh2o
        else:
            pfm, abd, pressure = c.rest_rms_uv, c.abdominal_rest_uv, 0.0
        return np.array([pfm, abd]), pressure

    def _envelope(self, n_ctrl: int) -> tuple[np.ndarray, np.ndarray]:
        """Advance the muscle model ``n_ctrl`` control ticks; return RMS (n,2) and pressure (n,)."""
        c = self.config
        dt = 1.0 / CONTROL_HZ
        rms = np.empty((n_ctrl, 2))
        press = np.empty(n_ctrl)
        a_rise = np.exp(-dt / c.rise_tau_s)
        a_p = np.exp(-dt / c.pressure_tau_s)
        for i in range(n_ctrl):
            target, p_target = self._targets(self._t_ctrl)
            a_fall = np.exp(-dt / max(self._release_tau, 1e-3))
            a = np.where(target > self._level, a_rise, a_fall)
            self._level = a * self._level + (1 - a) * target
            self._pressure_level = a_p * self._pressure_level + (1 - a_p) * p_target
            rms[i] = self._level
            press[i] = self._pressure_level
            self._t_ctrl += dt
        return rms, press

    def generate(self, duration_s: float) -> Iterator[SampleBlock]:
        """Yield EMG and pressure blocks covering ``duration_s`` seconds, in time order."""
        c = self.config
        n_blocks = int(round(duration_s / c.block_s))
        for _ in range(n_blocks):
            yield from self.next_blocks()

    def next_blocks(self) -> tuple[SampleBlock, SampleBlock]:
        """The next ``block_s`` of EMG and pressure."""
        c = self.config
        n_emg = int(round(c.block_s * c.emg_fs))
        n_ctrl = max(1, int(round(c.block_s * CONTROL_HZ)))
        t_start = self.time_s
        rms_ctrl, press_ctrl = self._envelope(n_ctrl)
        # hold each control value for its span of samples (a step every 5 ms at 2 kHz)
        idx = np.minimum((np.arange(n_emg) * n_ctrl) // n_emg, n_ctrl - 1)
        rms = rms_ctrl[idx]
        white = self._rng.standard_normal((n_emg, 2))
        shaped = self._shape.process(white)
        emg = shaped * self._gain * rms
        emg += self._rng.standard_normal((n_emg, 2)) * c.noise_floor_uv
        t = (self._emg_index + np.arange(n_emg)) / c.emg_fs
        if c.hum_uv > 0:
            hum = c.hum_uv * (np.sin(2 * np.pi * c.mains_hz * t)
                              + 0.3 * np.sin(2 * np.pi * 3 * c.mains_hz * t))
            emg += hum[:, None]
        emg += self._motion_artefacts(n_emg)[:, None]
        emg_block = SampleBlock("emg", self._emg_index, t_start, c.emg_fs, emg, BlockFlag.SYNTHETIC)
        self._emg_index += n_emg

        n_p = int(round(c.block_s * c.pressure_fs))
        tp = (self._p_index + np.arange(n_p)) / c.pressure_fs
        pidx = np.minimum((np.arange(n_p) * n_ctrl) // max(n_p, 1), n_ctrl - 1)
        p = (c.pressure_rest_cmh2o + press_ctrl[pidx]
             + c.breathing_cmh2o * np.sin(2 * np.pi * c.breathing_hz * tp)
             + self._rng.standard_normal(n_p) * c.pressure_noise_cmh2o)
        p_block = SampleBlock("pressure", self._p_index, self._p_index / c.pressure_fs,
                              c.pressure_fs, p[:, None], BlockFlag.SYNTHETIC)
        self._p_index += n_p
        return emg_block, p_block

    def _motion_artefacts(self, n: int) -> np.ndarray:
        """Occasional slow, large transients (probe or body movement)."""
        c = self.config
        out = np.zeros(n)
        if c.motion_per_min > 0 and self._rng.random() < c.motion_per_min / 60.0 * n / c.emg_fs:
            self._motion.append((self._emg_index, self._rng.uniform(80, 250)))
        width = int(0.15 * c.emg_fs)
        keep = []
        for start, amp in self._motion:
            k = self._emg_index + np.arange(n) - start
            inside = (k >= 0) & (k < width)
            out[inside] += amp * np.sin(np.pi * k[inside] / width)
            if start + width > self._emg_index + n:
                keep.append((start, amp))
        self._motion = keep
        return out


class SimulatedSensor(Source):
    """The simulated sensor as a live source, paced by a (injectable) clock.

    ``speed`` > 1 plays faster than real time; ``speed=0`` runs as fast as possible.
    A non-looping scenario ends with an END event.
    """

    def __init__(
        self,
        scenario: Scenario | str = "demo",
        config: SimulatedConfig | None = None,
        speed: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        self.scenario = get_scenario(scenario) if isinstance(scenario, str) else scenario
        self.config = config or SimulatedConfig()
        self.speed = speed
        self._clock = clock
        self._sleep = sleep
        self._signal: SimulatedSignal | None = None

    def _open(self) -> SourceInfo:
        self._signal = SimulatedSignal(self.scenario, self.config)
        return source_info(self.config, f"Simulated sensor ({self.scenario.name})")

    def _run(self) -> None:
        sig = self._signal
        if sig is None:
            raise SourceError("simulated sensor was not opened")
        self._emit_event(EventKind.CONNECTED, "Simulated sensor streaming")
        t_wall0 = self._clock()
        t_sig0 = sig.time_s
        end = None if self.scenario.loop else self.scenario.duration_s
        while not self._stop_event.is_set():
            if end is not None and sig.time_s >= end - 1e-9:
                self._emit_event(EventKind.END, "Scenario finished")
                return
            if self.speed > 0:
                due = t_wall0 + (sig.time_s - t_sig0 + self.config.block_s) / self.speed
                wait = due - self._clock()
                if wait > 0:
                    self._stop_event.wait(wait) if self._sleep is time.sleep else self._sleep(wait)
                    if self._stop_event.is_set():
                        return
            for block in sig.next_blocks():
                self._emit_block(block)
