"""Map a sensor's microsecond clock onto the host's ``time.monotonic()`` with drift correction.

Host arrival times carry USB/pty jitter and queueing delays but never arrive *before* the
sample was taken, so the lower envelope of ``arrival − device_time`` is the clock offset plus
the minimum link latency (the approach of LSL's time correction). The envelope is kept as the
minimum per one-second bucket; a least-squares line through the bucket minima gives the drift,
and the line is then lowered to touch the lowest point so mapped times never lie after an
observed arrival. Crystal drift (±50 ppm ≈ 3 ms per minute) would otherwise slowly shift the
EMG trace against host-stamped markers.
"""

from __future__ import annotations

from collections import deque

WRAP = 1 << 32


class ClockMapper:
    """Unwraps the u32 µs device clock and fits ``host = offset + device × (1 + drift)``."""

    def __init__(self, window_s: float = 60.0, bucket_s: float = 1.0, min_span_s: float = 5.0):
        self.window_s = window_s
        self.bucket_s = bucket_s
        self.min_span_s = min_span_s
        self.reset()

    def reset(self) -> None:
        """Forget everything (new device clock after a reset or reconnect)."""
        self._last_raw: int | None = None
        self._unwrapped = 0
        self._buckets: deque[tuple[int, float, float]] = deque()  # (bucket no, device s, host-dev)
        self._origin: float | None = None  # device seconds of the first observation
        self.offset = 0.0
        self.drift = 0.0
        self.n_observations = 0

    # -- device clock ----------------------------------------------------------------------
    def unwrap(self, t_us: int) -> float:
        """Device time in seconds on a 64-bit timeline; tolerates small steps backwards
        (blocks of different streams interleave) and the 71.6-minute u32 wrap."""
        t_us &= WRAP - 1
        if self._last_raw is None:
            self._unwrapped = t_us
        else:
            delta = (t_us - self._last_raw) % WRAP
            if delta >= WRAP // 2:
                delta -= WRAP
            self._unwrapped += delta
        self._last_raw = t_us
        return self._unwrapped * 1e-6

    # -- fitting -----------------------------------------------------------------------------
    def observe(self, device_s: float, host_s: float) -> None:
        """Record that something the device stamped ``device_s`` had arrived by ``host_s``."""
        if self._origin is None:
            self._origin = device_s
        x = device_s - self._origin
        y = host_s - device_s
        b = int(x // self.bucket_s)
        self.n_observations += 1
        if self._buckets and self._buckets[-1][0] == b:
            if y < self._buckets[-1][2]:
                self._buckets[-1] = (b, x, y)
                self._refit(only_lower=True)
            return
        self._buckets.append((b, x, y))
        while self._buckets and self._buckets[-1][1] - self._buckets[0][1] > self.window_s:
            self._buckets.popleft()
        self._refit()

    def _refit(self, only_lower: bool = False) -> None:
        pts = list(self._buckets)
        span = pts[-1][1] - pts[0][1]
        if not only_lower and len(pts) >= 3 and span >= self.min_span_s:
            n = len(pts)
            mx = sum(p[1] for p in pts) / n
            my = sum(p[2] for p in pts) / n
            sxx = sum((p[1] - mx) ** 2 for p in pts)
            if sxx > 0:
                slope = sum((p[1] - mx) * (p[2] - my) for p in pts) / sxx
                if abs(slope) < 1e-3:  # > 1000 ppm is not a crystal, it is a stall: keep drift
                    self.drift = slope
        self.offset = min(p[2] - self.drift * p[1] for p in pts)

    def to_host(self, device_s: float) -> float:
        """Host ``time.monotonic()`` seconds at which the device took a sample at ``device_s``."""
        origin = self._origin if self._origin is not None else device_s
        x = device_s - origin
        return device_s + self.offset + self.drift * x

    @property
    def ready(self) -> bool:
        return self._origin is not None
