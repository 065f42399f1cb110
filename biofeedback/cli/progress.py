"""A one-line progress bar on stderr for long commands (no dependency, silent when piped)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """``label [#######.....]  42%  12.6/30.0 s``, redrawn at most 10 times a second.

    Drawn only when ``stream`` is a terminal, so logs and test captures stay clean.
    """

    def __init__(self, total: float, label: str = "", unit: str = "s",
                 stream: TextIO | None = None, width: int = 30) -> None:
        self.total = max(float(total), 1e-9)
        self.label = label
        self.unit = unit
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0
        self._drawn = False

    def update(self, done: float, note: str = "") -> None:
        now = time.monotonic()
        if not self.enabled or (now - self._last < 0.1 and done < self.total):
            return
        self._last = now
        frac = min(max(done / self.total, 0.0), 1.0)
        fill = int(round(frac * self.width))
        bar = "#" * fill + "." * (self.width - fill)
        text = (f"\r{self.label} [{bar}] {frac * 100:3.0f}%  {done:.1f}/{self.total:.1f} "
                f"{self.unit}  {note}")
        self.stream.write(text[:200].ljust(60))
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
