"""The feedback tone, as pure sound synthesis: PCM blocks rendered on demand (no Qt, no clock).

The tone says what the meter says (``app/feedback.py`` is the one feedback model): its pitch is
:attr:`MeterView.tone_hz` (:func:`~biofeedback.app.feedback.tone_hz`: 220 Hz at the "relax
below" line rising to 660 Hz at the person's contraction level), so the pitch falls as the
muscle lets go. clinical.md §5 ("Display"): "audio tone whose pitch (and/or volume) falls with
RMS, silent-below-threshold mode; reward chime after 10 s continuous below line; no punitive
sounds". Hence:

* **silent below the line** (default on): relaxed is silence. With it off, the tone goes on
  below the line, gliding down from 220 Hz at the line to ``below_line_low_hz`` at 0 µV and
  softening (this below-line pitch is the only mapping added here; above the line the pitch is
  exactly ``view.tone_hz``);
* **volume follows too**, gently: ``loudness_span`` quieter at the line than at the
  contraction level; the level stays moderate (``level`` = 0.25 of full scale at volume 1);
* **a soft chime** (a decaying sine pair, bell-like) once per stretch after 10 s continuously
  below the line; never a buzzer or an alarm: tight is only a higher pitch;
* **silent** while settling, with no signal, or when no view came for ``stale_after_s`` of
  rendered audio (a frozen GUI must not leave a tone saying "tight");
* volume 0-1 and mute.

Threads: :meth:`ToneGenerator.update` and the setters run on the GUI thread, :meth:`render` on
the audio thread; they share a few targets under a lock, and all synthesis state belongs to
the render side. Frequency glides (one-pole, ``glide_s``) and amplitude ramps (linear,
``fade_s``) are computed per sample with a continuous phase, so a block edge is never heard and
the stream does not depend on how it is cut into blocks.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from biofeedback.app.feedback import TONE_HIGH_HZ, TONE_LOW_HZ, MeterView
from biofeedback.signal import FeedbackState

TWO_PI = 2.0 * math.pi


@dataclass(frozen=True)
class ToneConfig:
    sample_rate: int = 44100
    level: float = 0.25  # peak amplitude at volume 1 (full scale = 1): moderate
    glide_s: float = 0.08  # pitch follows the target with this time constant
    fade_s: float = 0.06  # a fade in or out over the full level takes this long
    loudness_span: float = 0.3  # at the line the tone is this much quieter than at the top
    below_line_low_hz: float = 147.0  # audible-below-line mode: pitch at 0 µV (a fifth down)
    chime_after_s: float = 10.0  # clinical.md §5: reward chime after 10 s below the line
    chime_hz: tuple[float, float] = (880.0, 1318.5)  # A5 and E6: a soft open fifth
    chime_decay_s: tuple[float, float] = (0.8, 0.45)
    chime_gain: float = 0.6  # relative to ``level``
    chime_length_s: float = 2.5
    stale_after_s: float = 2.0  # no view for this much rendered audio: fade to silence


@dataclass(frozen=True)
class ToneStatus:
    """What the tone is doing, for the UI and tests."""

    target_hz: float | None  # None: silent
    volume: float
    muted: bool
    silent_below_line: bool
    chimes: int  # chimes triggered since creation


class ToneGenerator:
    """Renders the feedback tone as float32 (or int16) mono PCM blocks on demand."""

    def __init__(self, config: ToneConfig | None = None, *, volume: float = 0.5,
                 muted: bool = False, silent_below_line: bool = True) -> None:
        self.config = c = config or ToneConfig()
        self._lock = threading.Lock()
        self._render_lock = threading.Lock()
        # shared targets (GUI side writes, render side reads), under _lock
        self._volume = _clip01(volume)
        self._muted = bool(muted)
        self._silent_below = bool(silent_below_line)
        self._target_hz: float | None = None
        self._loudness = 0.0
        self._chime_requests = 0
        self._updates = 0
        # GUI-side stretch tracking
        self._stretch_start: float | None = None
        self._chimed = False
        self._last_now = -math.inf
        # render-side synthesis state
        self._sr = float(c.sample_rate)
        self._glide = math.exp(-1.0 / (c.glide_s * self._sr))
        self._step = c.level / (c.fade_s * self._sr)
        self._freq = TONE_LOW_HZ
        self._phase = 0.0
        self._amp = 0.0
        self._seen_updates = 0
        self._since_update = 0
        self._chimes_started = 0
        self._chime = _Chime(c, self._sr)

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    # -- GUI thread ------------------------------------------------------------------------
    def update(self, view: MeterView, now_s: float) -> None:
        """Follow ``view`` (the meter at time ``now_s`` on the session's clock, e.g.
        ``LiveSnapshot.time_s``)."""
        chime = self._track_stretch(view, now_s)
        with self._lock:
            self._target_hz, self._loudness = self._target(view)
            self._updates += 1
            if chime:
                self._chime_requests += 1

    def set_volume(self, volume: float) -> None:
        with self._lock:
            self._volume = _clip01(volume)

    def set_muted(self, muted: bool) -> None:
        with self._lock:
            self._muted = bool(muted)

    def set_silent_below_line(self, silent: bool) -> None:
        """Takes effect at the next :meth:`update`."""
        with self._lock:
            self._silent_below = bool(silent)

    def status(self) -> ToneStatus:
        with self._lock:
            return ToneStatus(self._target_hz, self._volume, self._muted, self._silent_below,
                              self._chime_requests)

    def _target(self, view: MeterView) -> tuple[float | None, float]:
        """Pitch and loudness (0..1 of ``level``) for ``view``; None: silent."""
        span = self.config.loudness_span
        if view.tone_hz is not None:
            x = (view.tone_hz - TONE_LOW_HZ) / (TONE_HIGH_HZ - TONE_LOW_HZ)
            return view.tone_hz, 1.0 - span + span * _clip01(x)
        if view.state is not FeedbackState.RELAXED or self._silent_below:
            return None, 0.0
        if not (math.isfinite(view.envelope_uv) and math.isfinite(view.line_uv)
                and view.line_uv > 0):
            return None, 0.0
        x = _clip01(view.envelope_uv / view.line_uv)  # 1 at the line, 0 at 0 µV
        low = self.config.below_line_low_hz
        return low + (TONE_LOW_HZ - low) * x, (1.0 - span) * (0.5 + 0.5 * x)

    def _track_stretch(self, view: MeterView, now_s: float) -> bool:
        """True once per relaxed stretch, when it has lasted ``chime_after_s``."""
        if now_s < self._last_now:  # the clock went back (a replay seek): a new stretch
            self._stretch_start = None
        self._last_now = now_s
        if view.state is not FeedbackState.RELAXED:
            self._stretch_start = None
            return False
        if self._stretch_start is None:
            self._stretch_start = now_s - max(view.relaxed_for_s, 0.0)
            self._chimed = False
        if self._chimed or now_s - self._stretch_start < self.config.chime_after_s:
            return False
        self._chimed = True
        return True

    # -- audio thread ----------------------------------------------------------------------
    def render(self, n_frames: int) -> np.ndarray:
        """The next ``n_frames`` samples, float32 in [-1, 1]."""
        with self._render_lock:
            with self._lock:
                hz, loud, updates = self._target_hz, self._loudness, self._updates
                vol = 0.0 if self._muted else self._volume
                requests = self._chime_requests
            if updates != self._seen_updates:
                self._seen_updates, self._since_update = updates, 0
            if requests != self._chimes_started:
                self._chimes_started = requests
                self._chime.start()
            out = np.empty(int(n_frames), dtype=np.float64)
            pos = 0
            stale = round(self.config.stale_after_s * self._sr)
            while pos < len(out):
                fresh = stale - self._since_update
                n = len(out) - pos if fresh <= 0 else min(len(out) - pos, fresh)
                gain = vol * self.config.level * loud if fresh > 0 and hz is not None else 0.0
                out[pos:pos + n] = self._tone(n, hz, gain)
                self._since_update += n
                pos += n
            out += self._chime.render(len(out), vol, self._step / self.config.level)
            return out.astype(np.float32)

    def render_int16(self, n_frames: int) -> np.ndarray:
        """The next ``n_frames`` samples as signed 16-bit PCM."""
        return np.round(self.render(n_frames) * 32767.0).astype(np.int16)

    def _tone(self, n: int, hz: float | None, gain: float) -> np.ndarray:
        k = np.arange(1, n + 1, dtype=np.float64)
        if hz is not None and gain > 0.0 and self._amp == 0.0:
            self._freq = hz  # starting from silence: no glide from an old pitch
        target = self._freq if hz is None else hz
        freq = target + (self._freq - target) * self._glide ** k
        if gain >= self._amp:
            amp = np.minimum(self._amp + self._step * k, gain)
        else:
            amp = np.maximum(self._amp - self._step * k, gain)
        phase = self._phase + np.cumsum(freq) * (TWO_PI / self._sr)
        if n:
            self._freq, self._amp = float(freq[-1]), float(amp[-1])
            self._phase = float(phase[-1]) % TWO_PI
        return amp * np.sin(phase)


class _Chime:
    """A soft bell: two decaying sines with a 5 ms attack and a raised-cosine tail to zero.

    Its gain follows the volume (and mute) with a ramp, so muting during a chime is no click;
    a chime asked for while one is ringing is skipped (never restarted mid-way).
    """

    def __init__(self, c: ToneConfig, sr: float) -> None:
        self._sr = sr
        self._len = round(c.chime_length_s * sr)
        t = np.arange(self._len) / sr
        (f1, f2), (d1, d2) = c.chime_hz, c.chime_decay_s
        bell = np.sin(TWO_PI * f1 * t) * np.exp(-t / d1) + 0.5 * np.sin(TWO_PI * f2 * t) * np.exp(
            -t / d2)
        attack = 1.0 - np.exp(-t / 0.005)
        tail_n = round(0.4 * sr)
        tail = np.ones(self._len)
        tail[-tail_n:] = 0.5 * (1.0 + np.cos(np.pi * np.arange(1, tail_n + 1) / tail_n))
        self._wave = bell * attack * tail * (c.chime_gain * c.level / 1.5)
        self._pos = self._len
        self._gain = 0.0

    def start(self) -> None:
        if self._pos >= self._len:
            self._pos = 0

    def render(self, n: int, volume: float, step: float) -> np.ndarray:
        """``n`` samples; the gain moves toward ``volume`` by ``step`` per sample."""
        out = np.zeros(n)
        k = np.arange(1, n + 1, dtype=np.float64)
        if volume >= self._gain:
            gain = np.minimum(self._gain + step * k, volume)
        else:
            gain = np.maximum(self._gain - step * k, volume)
        if n:
            self._gain = float(gain[-1])
        m = min(n, self._len - self._pos)
        if m > 0:
            out[:m] = self._wave[self._pos:self._pos + m] * gain[:m]
            self._pos += m
        return out


def _clip01(x: float) -> float:
    return min(max(float(x), 0.0), 1.0)


__all__ = ["ToneConfig", "ToneGenerator", "ToneStatus"]
