"""The project CSV format: round trip, sample rate from time_s or given, one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biofeedback.formats.csvfile import column_name, parse_column, read_csv, write_csv
from biofeedback.formats.errors import FormatError
from biofeedback.streams import ChannelInfo, ChannelKind, SignalSet, StreamInfo


def _set(fs_emg: float = 2000.0, fs_p: float = 100.0, seconds: float = 2.0) -> SignalSet:
    rng = np.random.default_rng(0)
    emg = StreamInfo("emg", fs_emg, (ChannelInfo("pfm", ChannelKind.EMG, "uV"),
                                     ChannelInfo("abdominal", ChannelKind.EMG, "uV")))
    pr = StreamInfo("pressure", fs_p, (ChannelInfo("pressure", ChannelKind.PRESSURE, "cmH2O"),))
    return SignalSet(streams=(emg, pr),
                     data={"emg": np.round(rng.standard_normal((int(seconds * fs_emg), 2)) * 5, 4),
                           "pressure": np.round(18 + rng.standard_normal((int(seconds * fs_p), 1)),
                                                4)})


def test_columns_parse_to_name_kind_unit():
    assert parse_column("emg_uv") == ("emg", ChannelKind.EMG, "uV")
    assert parse_column("emg_pfm_uv") == ("pfm", ChannelKind.EMG, "uV")
    assert parse_column("pressure_cmh2o") == ("pressure", ChannelKind.PRESSURE, "cmH2O")
    assert parse_column("pressure_mmhg") == ("pressure", ChannelKind.PRESSURE, "mmHg")
    assert column_name(ChannelInfo("pfm", ChannelKind.EMG, "uV")) == "emg_pfm_uv"
    for bad in ("foo_bar", "pfm_uv", "emg", "_uv"):
        with pytest.raises(ValueError):
            parse_column(bad)


def test_round_trip_keeps_channels_values_and_rate(tmp_path: Path):
    ss = _set(fs_emg=1000.0, fs_p=1000.0)
    path = write_csv(ss, tmp_path / "rec.csv")
    assert path.read_text().splitlines()[0] == "time_s,emg_pfm_uv,emg_abdominal_uv,pressure_cmh2o"
    back = read_csv(path)
    assert [s.name for s in back.streams] == ["emg", "pressure"]
    assert back.streams[0].fs == pytest.approx(1000.0, rel=1e-9)
    assert [c.name for c in back.streams[0].channels] == ["pfm", "abdominal"]
    np.testing.assert_allclose(back.data["emg"], ss.data["emg"], atol=1e-6)
    np.testing.assert_allclose(back.data["pressure"], ss.data["pressure"], atol=1e-6)


def test_slower_stream_is_held_at_the_fastest_rate(tmp_path: Path):
    ss = _set()
    back = read_csv(write_csv(ss, tmp_path / "rec.csv"))
    p = back.data["pressure"][:, 0]
    assert len(p) == len(back.data["emg"]) == 4000
    np.testing.assert_allclose(p[::20], ss.data["pressure"][:, 0], atol=1e-6)
    assert np.all(p[:20] == p[0])  # one 100 Hz sample covers 20 rows at 2 kHz


def test_rate_given_without_time_column(tmp_path: Path):
    path = tmp_path / "raw.csv"
    path.write_text("emg_uv\n1\n2\n3\n")
    ss = read_csv(path, fs=500.0)
    assert ss.streams[0].fs == 500.0 and ss.data["emg"][:, 0].tolist() == [1, 2, 3]


def test_writer_never_overwrites(tmp_path: Path):
    path = write_csv(_set(), tmp_path / "a.csv")
    with pytest.raises(FormatError, match="already exists"):
        write_csv(_set(), path)
    write_csv(_set(), path, overwrite=True)


def test_writer_refuses_nan(tmp_path: Path):
    ss = _set()
    ss.data["emg"][5, 0] = np.nan
    with pytest.raises(FormatError, match="NaN"):
        write_csv(ss, tmp_path / "n.csv")
    assert not (tmp_path / "n.csv").exists()


BROKEN = {
    "empty": ("", "empty file"),
    "only_comments": ("# a\n# b\n", "empty file"),
    "no_header": ("1,2\n3,4\n", "missing header"),
    "header_only": ("time_s,emg_uv\n", "no samples"),
    "text_cell": ("time_s,emg_uv\n0,1\n0.001,x\n", "line 3, column 'emg_uv': 'x' is not a number"),
    "empty_cell": ("time_s,emg_uv\n0,1\n0.001,\n", "line 3, column 'emg_uv'"),
    "nan": ("time_s,emg_uv\n0,1\n0.001,nan\n", "not a finite number"),
    "inf": ("time_s,emg_uv\n0,1\n0.001,inf\n", "not a finite number"),
    "backwards": ("time_s,emg_uv\n0,1\n0.002,1\n0.001,2\n", "not increasing at line 4"),
    "irregular": ("time_s,emg_uv\n0,1\n0.001,1\n0.005,2\n0.006,3\n", "irregular time_s"),
    "unknown_column": ("time_s,foo_bar\n0,1\n0.001,2\n", "unknown column 'foo_bar'"),
    "no_fs": ("emg_uv\n1\n2\n", "give the sample rate"),
    "ragged": ("time_s,emg_uv\n0,1\n0.001\n", "line 3 has 1 values"),
    "duplicate": ("time_s,emg_uv,emg_uv\n0,1,1\n", "duplicate column"),
    "one_row": ("time_s,emg_uv\n0,1\n", "one sample"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_files_give_one_line_errors_naming_file_and_problem(tmp_path: Path, name: str):
    text, expected = BROKEN[name]
    path = tmp_path / f"{name}.csv"
    path.write_text(text)
    with pytest.raises(FormatError) as err:
        read_csv(path)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(str(path)) and expected in msg
    assert isinstance(err.value, ValueError)


def test_missing_file_and_binary_file(tmp_path: Path):
    with pytest.raises(FormatError, match="no such file"):
        read_csv(tmp_path / "nope.csv")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(FormatError, match="not a text file"):
        read_csv(tmp_path / "bin.csv")


def test_time_s_and_given_rate_must_agree(tmp_path: Path):
    path = tmp_path / "t.csv"
    path.write_text("time_s,emg_uv\n0,1\n0.001,2\n0.002,3\n")
    assert read_csv(path, fs=1000.0).streams[0].fs == pytest.approx(1000.0)
    with pytest.raises(FormatError, match="1000 Hz but 2000 Hz"):
        read_csv(path, fs=2000.0)
