"""What the live meter tells the person, as a fixed vocabulary computed per sample.

The signal core decides the *state* (pure numpy, block-size independent, the same live and
offline); ``app/feedback.py`` owns the words, colours and the meter's scale. One state per
sample of the pelvic-floor channel:

* ``NO_SIGNAL``: no usable signal (set by the live layer: stale link, disconnect, lead off);
* ``SETTLING``: the resting level is still being learned (no baseline yet, or a provisional
  automatic one: a guarded start must not be called relaxed);
* ``RELAXED``: the envelope is below the "relax below" line the person sees (short
  excursions above it, under ``RelaxationConfig.excursion_s``, do not end a relaxed stretch);
* ``LETTING_GO``: above the line but falling, or in the lower half between the line and the
  person's contraction level (a release in progress);
* ``TIGHT``: above the line and not letting go;
* ``BEARING_DOWN``: the strain flag (pushing instead of releasing); never shown as relaxed.
"""

from __future__ import annotations

import enum


class FeedbackState(enum.IntEnum):
    NO_SIGNAL = 0
    SETTLING = 1
    RELAXED = 2
    LETTING_GO = 3
    TIGHT = 4
    BEARING_DOWN = 5

    @property
    def key(self) -> str:
        """The stable machine name (``relaxed``, ``bearing_down``...) used in files and JSON."""
        return self.name.lower()


__all__ = ["FeedbackState"]
