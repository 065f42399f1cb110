"""Settings of the signal core, grouped per stage, with clinical defaults.

Every default cites ``shared/reference/clinical.md`` (section numbers below). Values marked
**[D]** there are design choices, not published norms; a clinician may change any of them.
All thresholds are relative to the person's own resting baseline (clinical.md, preamble):
published µV values are device- and probe-specific.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CMH2O_TO_MMHG = 0.7356  # clinical.md §4: 1 cmH2O = 0.0981 kPa = 0.7356 mmHg


@dataclass(frozen=True)
class EmgConfig:
    """EMG conditioning (clinical.md §1).

    Band-pass: 4th-order Butterworth 20-450 Hz (De Luca 2010; SENIAM), causal SOS, clipped
    below Nyquist for slow devices. The band-pass removes DC; its state starts at the steady
    state of the first sample, so an ADC offset does not ring. Mains notch off by default (it
    removes real EMG power, McManus 2020) and suggested when hum is measured. RMS envelope
    window 250 ms for display (clinical.md §1 implications); the detector has its own window.
    """

    band_low_hz: float = 20.0
    band_high_hz: float = 450.0
    filter_order: int = 4
    notch_hz: float | None = None  # 50 or 60 to enable; off by default (it removes real EMG)
    notch_harmonics: int = 3
    notch_q: float = 30.0
    rms_window_s: float = 0.25
    display_smoothing_s: float = 0.0  # optional extra one-pole smoothing of the display envelope

    def __post_init__(self) -> None:
        if self.notch_hz not in (None, 50.0, 60.0, 50, 60):
            raise ValueError(f"mains notch must be 50 or 60 Hz (or off), got {self.notch_hz}")
        if not 0 < self.band_low_hz < self.band_high_hz:
            raise ValueError(f"bad EMG band {self.band_low_hz}-{self.band_high_hz} Hz")
        if self.rms_window_s <= 0:
            raise ValueError("RMS window must be > 0 s")


@dataclass(frozen=True)
class PressureConfig:
    """Vaginal pressure (clinical.md §4): low-pass 5 Hz, display cmH2O or mmHg, optional drift
    removal by a slow resting-level tracker (the "20 s running baseline of rest" idea, [D])."""

    lowpass_hz: float = 5.0
    filter_order: int = 2
    unit: str = "cmH2O"  # or "mmHg"
    remove_drift: bool = False
    drift_tau_s: float = 20.0
    rest_band_cmh2o: float = 2.0  # samples within this of the rest level update the tracker

    def __post_init__(self) -> None:
        if self.unit not in ("cmH2O", "mmHg"):
            raise ValueError(f"pressure unit must be cmH2O or mmHg, got {self.unit!r}")


@dataclass(frozen=True)
class BaselineConfig:
    """Resting baseline (level and variability) of each EMG channel (clinical.md §2-3).

    Robust statistics: median and 1.4826·MAD of the envelope in rest (clinical.md §3: "median/
    MAD of rest, robust to spikes"). Without a marked rest the level is found automatically
    (``signal/baseline.py``): it follows the lowest level held for ``sustain_s`` seconds, pools
    the seconds within (1 + ``pool_tolerance``) × that floor, and stays *provisional* (the app
    does not say "relaxed") until the person has sat within (1 + ``floor_tolerance``) × the
    floor for ``confirm_stable_s`` s and has been ``confirm_rise`` × above it, or has sat
    there for ``confirm_quiet_s`` s in a row [D]: people
    with vaginismus often arrive guarded (clinical.md §1, White 1997, Shafik 2002: higher basal
    activity), and a guarded start must not become "rest". ``confirm_quiet_s`` > 20 s so that a
    20 s steady guarding is never confirmed. It is tracked for at least ``auto_s`` (the Glazer
    pre-baseline rest is 60 s, clinical.md §2) and until confirmed, at most ``max_track_s``.
    ``settle_s`` skips the filter start-up. ``min_sd_fraction`` floors σ at a fraction of μ so a
    perfectly steady rest does not give a hair-trigger threshold [D].
    """

    auto_s: float = 60.0  # the Glazer pre-baseline rest is 60 s (clinical.md §2)
    settle_s: float = 0.2
    pool_tolerance: float = 1.0  # pool seconds up to 2x the floor: resting tone drifts
    sustain_s: int = 3
    floor_tolerance: float = 0.5  # "at the floor" (confirmation) means within 1.5x of it
    confirm_rise: float = 2.0
    confirm_stable_s: int = 3
    confirm_quiet_s: int = 30
    max_track_s: float = 300.0
    min_sd_fraction: float = 0.1
    min_rest_s: float = 0.5  # a marked rest shorter than this leaves the baseline unchanged


@dataclass(frozen=True)
class DetectionConfig:
    """Contraction onset/offset with hysteresis (clinical.md §3, live detector [D]).

    Detection envelope: RMS over ``window_s`` of the band-passed EMG, or of its TKEO
    (``tkeo=True``; Li 2007, Solnik 2008) for sharper onsets. ON when it exceeds
    μ + ``k_on``·σ for ``min_on_s``; OFF when below μ + ``k_off``·σ (or below
    μ + ``off_peak_fraction``·(peak − μ) if that is higher: an event ends even when the rest
    after it settles a little above the old baseline) for ``min_off_s``.
    A burst must stay above the ON line for ``min_on_s``. clinical.md suggests 25 ms and
    discarding bursts < 50 ms; 150 ms is used here because on the real tibialis recording
    (emgGO sample) shorter values count every heartbeat (ECG contamination) as a contraction,
    and pelvic-floor
    contractions last ≥ 0.5 s. The onset is then traced back to where the envelope last sat at
    or below μ + ``k_back``·σ (at most ``lookback_s`` earlier): with ``k_back = 0`` that is
    where it left the resting median, moved ``onset_lead_s`` earlier (default a quarter of the
    detection window: on the synthetic benchmark the trace-back is late by about that much at
    10-20 dB, because noise dips below the median early in the rise; an empirical correction,
    documented in docs/signal.md). The offset is corrected for the trailing window's
    drain time. Live latency of the "contraction" flag: time to cross the ON line + min_on_s.
    Recovery: after the release point (last sample at ≥ 50 % of the peak above baseline), the
    first sample with envelope ≤ μ + ``k_recovery``·σ (Glazer: μ_pre + 2σ_pre).
    """

    window_s: float = 0.05
    tkeo: bool = False
    k_on: float = 3.0
    k_off: float = 1.5
    off_peak_fraction: float = 0.1  # OFF line at least μ + this × (peak − μ) of the event
    min_on_s: float = 0.15
    min_off_s: float = 0.2
    k_back: float = 0.0
    onset_lead_s: float | None = None  # None: window_s / 4 (see docstring)
    lookback_s: float = 0.3
    k_recovery: float = 2.0
    release_fraction: float = 0.5
    min_rise_uv: float = 0.0  # optional absolute floor on (ON line - μ), µV

    def __post_init__(self) -> None:
        if self.k_off > self.k_on:
            raise ValueError("k_off must not exceed k_on (hysteresis)")


@dataclass(frozen=True)
class RelaxationConfig:
    """Relaxation meter and "relaxed for N s" state (clinical.md §3, operational definitions [D]).

    The "relax below" line is μ + ``k_threshold``·σ of the display envelope (R_target =
    μ_B + 1·σ_B). The meter maps the envelope between the baseline μ (1 = relaxed) and the
    person's contraction level (0): the mean peak of their last ``range_events`` contractions,
    or μ·``default_range_factor`` before any contraction was seen (rest ~2-6 µV vs phasic
    ~7-50 µV in Oleksy 2020 / Kasper-Jędrzejewska 2025).
    """

    k_threshold: float = 1.0
    range_events: int = 5
    default_range_factor: float = 4.0
    relaxed_hold_s: float = 3.0  # "relaxed state": below the line for >= 3 s
    # [D] excursions above the line shorter than this do not end a relaxed stretch: at rest the
    # envelope crosses μ+1σ often, and a count that restarts every few seconds discourages
    excursion_s: float = 0.5


@dataclass(frozen=True)
class QualityConfig:
    """Per-second signal-quality checks (clinical.md §1 implications; thresholds [D]).

    ``hum_db``: mains peak vs neighbouring band > 10 dB suggests the notch (clinical.md §1).
    """

    flat_rms_uv: float = 0.05  # below this RMS the lead is off / line is flat
    clip_fraction: float = 0.01  # share of samples sitting exactly at the second's extreme
    spike_crest: float = 10.0  # max|x| / robust scale of the band-passed signal
    motion_ratio: float = 8.0  # low-frequency excursion vs band-passed RMS
    hum_db: float = 10.0
    hum_seconds: int = 3  # hum in this many of the last 5 seconds => suggest the notch
    physical_range: tuple[float, float] | None = None  # ADC/physical limits when known


@dataclass(frozen=True)
class StrainConfig:
    """Bearing-down (Valsalva) flag (clinical.md §4, strain classifier [D]).

    Strain when pressure rises > ``pressure_rise_cmh2o`` above rest while the pelvic floor is
    not above its ON line, or when the abdominal channel is above its ON line and rises more
    (relative to its own baseline) than the pelvic floor. Held ``min_s`` before it shows.
    """

    pressure_rise_cmh2o: float = 5.0
    min_s: float = 0.2


@dataclass(frozen=True)
class PipelineConfig:
    """Everything the live processor and the offline analysis need, in one frozen value."""

    emg: EmgConfig = field(default_factory=EmgConfig)
    pressure: PressureConfig = field(default_factory=PressureConfig)
    baseline: BaselineConfig = field(default_factory=BaselineConfig)
    detection: DetectionConfig = field(default_factory=DetectionConfig)
    relaxation: RelaxationConfig = field(default_factory=RelaxationConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    strain: StrainConfig = field(default_factory=StrainConfig)
