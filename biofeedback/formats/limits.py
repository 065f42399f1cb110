"""The validation layer every signal-file reader goes through, before anything is allocated.

One set of limits for EDF+/BDF+, CSV and journals (documented in ``docs/files.md``):

* only **regular files** are read (a FIFO would hang, ``/dev/zero`` never ends, a folder is no file);
* **file size** at most :data:`MAX_FILE_BYTES` (:data:`MAX_CSV_BYTES` for text);
* **sample rate** between :data:`MIN_RATE_HZ` and :data:`MAX_RATE_HZ`;
* **duration** at most :data:`MAX_DURATION_S`;
* **memory**: at most :data:`MAX_VALUES` samples in memory at once;
* annotations: a finite onset within the duration bound, a finite duration ``>= 0``.

Every check raises :class:`~biofeedback.formats.errors.FormatError` naming the file.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path

from biofeedback.formats.errors import FormatError, describe_os_error, number

MAX_RATE_HZ = 100_000.0  # the sensor runs at <= 2 kHz; lab amplifiers at <= 20-50 kHz
MIN_RATE_HZ = 0.001  # one sample every ~17 minutes
MAX_DURATION_S = 7 * 24 * 3600.0  # one week
MAX_VALUES = 400_000_000  # samples in memory at once (3.2 GB as float64)
MAX_FILE_BYTES = 4 * 1024**3  # EDF/BDF/journal
MAX_CSV_BYTES = 512 * 1024**2  # text is parsed in memory: ~5x its size at the peak
MAX_LINE_CHARS = 65_536  # one CSV line (header or row)
MAX_CHANNELS = 512


def check_regular_file(path: Path, limit: int = MAX_FILE_BYTES) -> int:
    """The size of ``path`` if it is a readable regular file within ``limit``; else FormatError.

    Follows symlinks (a link to ``/dev/zero`` is refused as a device) and never opens a FIFO
    or a device, so nothing can block or stream forever.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FormatError(path, "no such file") from None
    except OSError as exc:
        raise FormatError(path, describe_os_error(exc, "it")) from None
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise FormatError(path, "is a folder, not a file")
    if stat.S_ISFIFO(mode):
        raise FormatError(path, "is a pipe (FIFO), not a regular file; copy it to a file first")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        raise FormatError(path, "is a device, not a regular file")
    if not stat.S_ISREG(mode):
        raise FormatError(path, "is not a regular file")
    if st.st_size > limit:
        raise FormatError(path, f"too large: {st.st_size:,} bytes (limit {limit:,})")
    if not os.access(path, os.R_OK):
        raise FormatError(path, "no permission to read it")
    return int(st.st_size)


def check_rate(path: Path | str, what: str, fs: object) -> float:
    """A sample rate (Hz) within the limits, as float; ``what`` names the stream or signal."""
    if isinstance(fs, bool) or not isinstance(fs, int | float):
        raise FormatError(path, f"{what}: sample rate {number(fs)} is not a number")
    f = float(fs)
    if not math.isfinite(f) or f <= 0:
        raise FormatError(path, f"{what}: sample rate {number(f)} Hz is not a positive number")
    if f > MAX_RATE_HZ:
        raise FormatError(path, f"{what}: sample rate {number(f)} Hz is above the limit of "
                                f"{MAX_RATE_HZ:g} Hz")
    if f < MIN_RATE_HZ:
        raise FormatError(path, f"{what}: sample rate {number(f)} Hz is below the limit of "
                                f"{MIN_RATE_HZ:g} Hz")
    return f


def check_duration(path: Path | str, seconds: float) -> float:
    if not math.isfinite(seconds) or seconds < 0:
        raise FormatError(path, f"invalid duration {number(seconds)} s")
    if seconds > MAX_DURATION_S:
        raise FormatError(path, f"too long: {seconds / 3600:.4g} h (limit "
                                f"{MAX_DURATION_S / 3600:g} h)")
    return seconds


def check_values(path: Path | str, values: int) -> int:
    """Refuse before allocating when ``values`` samples would not fit the memory bound."""
    if values > MAX_VALUES:
        raise FormatError(path, f"too large: {values:,} samples in memory (limit {MAX_VALUES:,})")
    return values


def check_annotation(path: Path | str, where: str, onset: object, duration: object) -> None:
    """One rule for annotations on read and on write: finite onset, finite duration >= 0."""
    for name, v in (("onset", onset), ("duration", duration)):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise FormatError(path, f"{where}: {name} {number(v)} is not a number")
        if not math.isfinite(float(v)):
            raise FormatError(path, f"{where}: {name} {number(v)} is not a finite number")
        if abs(float(v)) > MAX_DURATION_S:
            raise FormatError(path, f"{where}: {name} {number(v)} s is outside the "
                                    f"{MAX_DURATION_S:g} s limit")
    if float(duration) < 0:  # type: ignore[arg-type]
        raise FormatError(path, f"{where}: negative duration {number(duration)} s")
