"""The compiled CSV parser gives np.loadtxt's values bit for bit, or steps aside (None).

Whatever the text, :func:`parse_block` either returns exactly what ``np.loadtxt`` returns for
it (same bits, -0.0 included) or None, and it must never return None for the numbers the
project writes (``%.6f``), or the speed is gone. :func:`scan_block` (the open-time pass) must
pass only blocks that then parse, with the same ``time_s`` values.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biofeedback.formats.csv_parse import parse_block, scan_block
from biofeedback.formats.limits import MAX_LINE_CHARS

FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


def _loadtxt(text: str, delim: str = ",") -> np.ndarray | None:
    """What the readers' np.loadtxt call gives (None where it refuses the text)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return np.loadtxt(io.StringIO(text.replace("\r\n", "\n")), delimiter=delim, ndmin=2,
                              dtype=float, comments=None)
    except (ValueError, UserWarning):
        return None


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool((a.view(np.int64) == b.view(np.int64)).all())


def _check(text: str, n_cols: int, delim: str = ",") -> np.ndarray | None:
    """parse_block's answer, after checking it against loadtxt's."""
    got = parse_block(text.encode(), n_cols, delim)
    if got is not None and len(got) == 0:  # no rows: the readers' own rule for a blank body
        assert not text.strip() and got.shape == (0, n_cols), text
    elif got is not None:
        ref = _loadtxt(text, delim)
        assert ref is not None, text
        assert ref.shape[1] == n_cols and _same_bits(got, ref), (text, got, ref)
    return got


DIGITS = st.text("0123456789", max_size=24)
NUMBER = st.builds(
    lambda sign, whole, point, frac, exp: f"{sign}{whole}{point}{frac}{exp}",
    st.sampled_from(["", "", "-", "+"]), DIGITS, st.sampled_from(["", ".", "."]), DIGITS,
    st.one_of(st.just(""), st.builds(lambda e, s, d: f"{e}{s}{d}", st.sampled_from("eE"),
                                     st.sampled_from(["", "-", "+"]),
                                     st.text("0123456789", max_size=5))))
ODD = st.sampled_from(["nan", "-inf", "inf", "NaN", "1e999", "-1e999", " 1", "1 ", "\t2", "",
                       "1_000", "0x10", "1.2.3", "--1", "+-1", "1e", "e5", ".", "-", "+",
                       '"1"', "1e+", "١", "1\r2", "#1"])


@FUZZ
@given(cells=st.lists(st.lists(st.one_of(NUMBER, NUMBER, NUMBER, ODD), min_size=2,
                               max_size=2), min_size=1, max_size=6),
       crlf=st.booleans(), blank=st.booleans(), last_newline=st.booleans())
def test_any_text_gives_loadtxt_values_or_none(cells, crlf, blank, last_newline) -> None:
    end = "\r\n" if crlf else "\n"
    lines = [",".join(row) for row in cells]
    if blank:
        lines.insert(len(lines) // 2, "")
    _check(end.join(lines) + (end if last_newline else ""), 2)


@FUZZ
@given(values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=50),
       decimals=st.integers(0, 9))
def test_numbers_as_the_project_writes_them_take_the_fast_path(values, decimals) -> None:
    text = "".join(f"{v:.{decimals}f},{-v:.{decimals}f}\n" for v in values)
    assert _check(text, 2) is not None, text


@FUZZ
@given(values=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1,
                       max_size=20))
def test_shortest_repr_of_any_double_is_exact_or_left_to_loadtxt(values) -> None:
    text = "\n".join(f"{v!r},{v:.17g}" for v in values)
    got = _check(text, 2)
    if got is not None:  # when taken, it is the double that was written
        assert _same_bits(got[:, 0], np.array(values))


@pytest.mark.parametrize(("text", "expected"), [
    ("-0.000000\n", -0.0), ("+1\n", 1.0), (".5\n", 0.5), ("5.\n", 5.0), ("1E5\n", 1e5),
    ("1e+05\n", 1e5), ("1e-05\n", 1e-5), ("2.5e-3\n", 0.0025), ("1e22\n", 1e22),
    ("9007199254740992\n", 2.0**53), ("0.1\n", 0.1), ("1234.567891\n", 1234.567891),
    ("000000000000000000000001\n", None), ("0e99999\n", None),  # too many digits: loadtxt's
    ("1e23\n", None), ("9007199254740993\n", None), ("1e-23\n", None),
    ("123456789012345678\n", None), ("1234567890123456789\n", None),
])
def test_edges_of_the_fast_path(text: str, expected: float | None) -> None:
    got = _check(text, 1)
    if expected is None:
        assert got is None  # loadtxt decides these (and the test above checks it agrees)
        assert _loadtxt(text) is not None
    else:
        assert got is not None and _same_bits(got, np.array([[expected]]))


@pytest.mark.parametrize("text", [
    "1,nan\n", "1,inf\n", "1,-inf\n", "1,1e999\n", "1, 2\n", "1,2 \n", "1,2,3\n", "1\n",
    "1,,\n", ",1\n", "1,\n", "1;2\n", '1,"2"\n', "1,2\r3,4\n", "1,2\n  \n3,4\n",
    "\ufeff1,2\n", "1,2\x85", "1,١\n", "1,2#c\n",
])
def test_what_the_project_refuses_or_loadtxt_reads_otherwise_is_left_to_loadtxt(text) -> None:
    assert _check(text, 2) is None
    assert scan_block(text.encode(), 2, ",", 0) is None


def test_line_ends_blank_lines_and_the_last_line_without_newline() -> None:
    for text in ("1,2\n3,4\n", "1,2\r\n3,4\r\n", "1,2\n\n3,4", "\n1,2\r\n\r\n3,4\n\n",
                 "1,2\r\n3,4\r"):  # a last CR alone: loadtxt (and splitlines) drop it too
        got = _check(text, 2)
        assert got is not None and got.tolist() == [[1, 2], [3, 4]], text
    assert _check("", 2) is not None and _check("\n\n", 2).shape == (0, 2)


@pytest.mark.parametrize("delim", [",", "\t", ";"])
def test_every_delimiter_the_header_may_use(delim: str) -> None:
    text = f"0.5{delim}-1.25\n1.0{delim}2\n"
    got = _check(text, 2, delim)
    assert got is not None and got.tolist() == [[0.5, -1.25], [1.0, 2.0]]
    assert scan_block(text.encode(), 2, delim, 0).tolist() == [0.5, 1.0]


def test_a_block_with_another_row_count_than_expected_is_not_taken() -> None:
    data = b"1,2\n3,4\n"
    assert parse_block(data, 2, ",", 2) is not None
    assert parse_block(data, 2, ",", 3) is None and parse_block(data, 2, ",", 1) is None


def test_lines_longer_than_the_limit_are_not_plain() -> None:
    long = "1," + "1" * (MAX_LINE_CHARS - 1) + "\n"
    assert scan_block(long.encode(), 2, ",", 0) is None
    ok = "1," + "1" * 10 + "\n"
    assert scan_block(ok.encode(), 2, ",", 0).tolist() == [1.0]


@FUZZ
@given(cells=st.lists(st.lists(st.one_of(NUMBER, ODD), min_size=3, max_size=3),
                      min_size=1, max_size=5),
       time_col=st.sampled_from([0, 1, 2, None]))
def test_the_scan_passes_only_what_then_parses_with_the_same_times(cells, time_col) -> None:
    text = "\n".join(",".join(row) for row in cells) + "\n"
    t = scan_block(text.encode(), 3, ",", time_col)
    if t is None:
        return
    parsed = _check(text, 3)
    assert parsed is not None, text  # the scan's promise: reading it will not fail
    assert len(t) == len(parsed)
    if time_col is not None:
        assert _same_bits(t, parsed[:, time_col])


def test_the_scan_leaves_exponents_and_long_numbers_to_the_full_pass() -> None:
    assert scan_block(b"0.5,1e-3\n", 2, ",", 0) is None  # a cell with an exponent
    assert scan_block(b"1e-3,0.5\n", 2, ",", 0).tolist() == [1e-3]  # time_s: parsed exactly
    assert scan_block(b"0.5,1234567890.123456\n", 2, ",", 0) is None  # 16 digits
    assert scan_block(b"0.5,123456789.123456\n", 2, ",", 0) is not None  # 15
    assert scan_block(b"0.5,-0\n1.5,+2.\n", 2, ",", None).shape == (2, 0)
