"""The CSV number parser: whole lines of plain decimal numbers to float64, compiled (numba).

``np.loadtxt`` parses ~60 MB/s; this parser does the project's CSV (``%.6f`` numbers) at several
hundred MB/s on one core, and gives **bit-identical** values because it only takes the cases
whose exact answer is one IEEE operation: a number is read as an integer mantissa ``m`` of at
most 18 digits and a power of ten ``e``; when ``m <= 2**53`` and ``|e| <= 22`` both ``m`` and
``10**|e|`` are exact doubles, so ``m * 10**e`` (or ``m / 10**-e``) rounds once, correctly —
the answer of a correctly rounded ``strtod`` (Clinger's fast path), which is what ``np.loadtxt``
uses (``PyOS_string_to_double``). Anything else — more digits, large exponents, spaces, signs
in odd places, ``nan``/``inf`` text, quotes, empty cells, a ragged row — stops the parser with
:data:`SLOW`, and the caller hands the block to ``np.loadtxt``, whose verdict (values or error)
stands. So the accepted grammar is a subset of loadtxt's, with loadtxt's values.

:func:`scan_block` is the chunked reader's open-time pass (rows, cells, the ``time_s`` column
only); :func:`parse_block` parses every cell. Both take a block of whole lines as bytes.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from biofeedback.formats.limits import MAX_LINE_CHARS

OK = 0
SLOW = 1  # not on the fast path: let np.loadtxt decide

_NL, _CR = 10, 13
_MAX_EXACT = 2**53
# 10**0 .. 10**22: every one is an exact double
_POW10 = np.array([10.0**k for k in range(23)])


@njit(cache=True, nogil=True)
def _parse(buf: np.ndarray, n_cols: int, delim: int, only: int, out: np.ndarray,
           pow10: np.ndarray, max_line: int) -> tuple[int, int]:
    """Fill ``out`` row by row: ``(rows, OK or SLOW)``. ``only < 0``: every column into
    ``out[row, col]``; else only column ``only`` into ``out[row, 0]``, and the other cells
    merely checked to be plain decimals of at most 15 digits without an exponent (exact on the
    fast path whatever the digits), as the open-time scan needs.

    ``buf`` ends with ``\\n``, so no loop needs a length check: each stops at a byte that is
    not part of a number. One function with the number read inline: the same code in a helper
    function ran 3-4x slower."""
    n = len(buf)
    i = 0
    row = 0
    rows = out.shape[0]
    last = n_cols - 1
    while i < n:
        c = buf[i]
        if c == _NL:  # an empty line: loadtxt skips it
            i += 1
            continue
        if c == _CR and buf[i + 1] == _NL:
            i += 2
            continue
        if row == rows:
            return row, SLOW
        line = i
        for col in range(n_cols):
            if only >= 0 and col != only:  # check the cell, as plain as can be
                if buf[i] == 45 or buf[i] == 43:
                    i += 1
                start = i
                while 48 <= buf[i] <= 57:
                    i += 1
                digits = i - start
                if buf[i] == 46:
                    i += 1
                    start = i
                    while 48 <= buf[i] <= 57:
                        i += 1
                    digits += i - start
                if digits == 0 or digits > 15:  # < 10**15 < 2**53: exact without an exponent
                    return row, SLOW
            else:
                c = buf[i]
                neg = c == 45  # '-'
                if neg or c == 43:  # '+'
                    i += 1
                m = 0
                start = i
                while 48 <= buf[i] <= 57:
                    m = m * 10 + (buf[i] - 48)
                    i += 1
                digits = i - start
                frac = 0
                if buf[i] == 46:  # '.'
                    i += 1
                    start = i
                    while 48 <= buf[i] <= 57:
                        m = m * 10 + (buf[i] - 48)
                        i += 1
                    frac = i - start
                    digits += frac
                if digits == 0 or digits > 18:  # nothing, or m might not fit: loadtxt decides
                    return row, SLOW
                e = -frac
                if (buf[i] | 32) == 101:  # 'e' 'E'
                    i += 1
                    eneg = buf[i] == 45
                    if eneg or buf[i] == 43:
                        i += 1
                    start = i
                    x = 0
                    while 48 <= buf[i] <= 57 and i - start < 4:
                        x = x * 10 + (buf[i] - 48)
                        i += 1
                    if i == start or 48 <= buf[i] <= 57:
                        return row, SLOW
                    e += -x if eneg else x
                if m == 0:
                    v = 0.0
                elif m > _MAX_EXACT or e > 22 or e < -22:
                    return row, SLOW
                elif e >= 0:
                    v = float(m) * pow10[e]
                else:
                    v = float(m) / pow10[-e]
                out[row, 0 if only >= 0 else col] = -v if neg else v
            if col < last:
                if buf[i] != delim:
                    return row, SLOW
                i += 1
        if i - line > max_line:
            return row, SLOW
        row += 1
        if buf[i] == _NL:
            i += 1
        elif buf[i] == _CR and buf[i + 1] == _NL:
            i += 2
        else:
            return row, SLOW
    return row, OK


@njit(cache=True, nogil=True)
def _lines(buf: np.ndarray) -> int:
    """The number of ``\\n`` (``bytes.count`` is several times slower)."""
    k = 0
    for c in buf:
        k += c == _NL
    return k


def _terminated(data: bytes | memoryview) -> np.ndarray:
    """``data`` as read-only bytes for the kernel, ending with ``\\n`` (copied only when it
    does not)."""
    if len(data) and data[-1] != _NL:
        data = bytes(data) + b"\n"
    buf = np.frombuffer(data, dtype=np.uint8)
    buf.flags.writeable = False  # one compiled variant, whatever the buffer
    return buf


def parse_block(data: bytes | memoryview, n_cols: int, delim: str, rows: int | None = None
                ) -> np.ndarray | None:
    """The ``(rows, n_cols)`` float64 values of a block of whole lines (blank lines skipped),
    or None when any of it is off the fast path (then ``np.loadtxt`` decides) or it does not
    hold exactly ``rows`` rows, when given."""
    buf = _terminated(data)
    out = np.empty((_lines(buf) if rows is None else rows, n_cols))
    got, status = _parse(buf, n_cols, ord(delim), -1, out, _POW10, MAX_LINE_CHARS)
    if status != OK or (rows is not None and got != rows):
        return None
    return out[:got]


def scan_block(data: bytes | memoryview, n_cols: int, delim: str, time_col: int | None
               ) -> np.ndarray | None:
    """The open-time check of a block of whole lines: its ``time_s`` values (one per row;
    ``(rows, 0)`` when ``time_col`` is None), or None when the block is not plain: a row
    without exactly ``n_cols`` cells, a cell that is not a decimal of 1-15 digits with an
    optional sign and point (no exponent), a time off the fast path, a line over
    :data:`MAX_LINE_CHARS`, any other byte (spaces, letters, ``nan``, quotes, a lone CR).
    A block that passes parses on the fast path (:func:`parse_block`) when its rows are read,
    so the scan's verdict is the parser's without converting a cell."""
    buf = _terminated(data)
    only = n_cols if time_col is None else time_col  # n_cols: parse no column
    out = np.empty((_lines(buf), 1))
    rows, status = _parse(buf, n_cols, ord(delim), only, out, _POW10, MAX_LINE_CHARS)
    if status != OK:
        return None
    return out[:rows, 0] if time_col is not None else np.empty((rows, 0))


def warm_up() -> None:
    """Compile (or load from numba's cache) both kernels with the readers' argument types, so a
    fresh install's first CSV does not pay the compile (``make`` and the tests run this)."""
    parse_block(b"0.5,-1\n", 2, ",")
    parse_block(b"0.5,-1\n", 2, ",", 1)
    scan_block(b"0.5,-1\n", 2, ",", 0)


if __name__ == "__main__":
    warm_up()
