"""What one EMG block yields: :class:`EmgFrame`, the output of
:meth:`biofeedback.signal.live.LiveProcessor.process_emg`.

(The conditioning-only ``EmgPipeline`` that used to live here is gone: the app and ``analyze``
run one engine, :class:`~biofeedback.signal.live.LiveProcessor`, whose conditioning stage is
:class:`biofeedback.signal.conditioning.EmgConditioner`.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["EmgFrame"]


@dataclass(frozen=True)
class EmgFrame:
    """Output of one ``process_emg`` call; arrays are ``(n_samples, n_channels)`` in µV.

    ``filtered`` band-passed (and notched) EMG; ``envelope`` its display RMS;
    ``relaxation`` ``(n,)`` 0..1 for the pelvic-floor channel (1 = at/below the resting
    baseline, 0 = at the person's contraction level, nan until the baseline is known);
    ``active`` ``(n,)`` contraction in progress; ``strain`` ``(n,)`` bearing-down flag;
    ``events`` contractions started, finished or updated in this block (latest version per
    id); ``quality`` the seconds of quality flags completed by this block.
    """

    filtered: np.ndarray
    envelope: np.ndarray
    relaxation: np.ndarray | None = None
    active: np.ndarray | None = None
    strain: np.ndarray | None = None
    events: list[Any] = field(default_factory=list)
    quality: list[Any] = field(default_factory=list)
    first_index: int = 0
    feedback: np.ndarray | None = None  # (n,) uint8 FeedbackState codes (LiveProcessor)
