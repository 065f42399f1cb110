"""Record the simulated sensor to EDF+/BDF+ and read it back with independent readers."""

from __future__ import annotations

import threading
from pathlib import Path

import mne
import numpy as np
import pyedflib
import pytest

from biofeedback.devices.scenario import get_scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSensor, SimulatedSignal
from biofeedback.formats.edf import quantisation_step, read_edf, write_edf
from biofeedback.formats.errors import FormatError
from biofeedback.storage.recorder import Recorder
from biofeedback.streams import Annotation, ChannelInfo, ChannelKind, SignalSet, StreamInfo

DURATION = 4.3  # not a whole number of 1-s data records: the padded tail must not come back


class _UntilEnd:
    def __init__(self, recorder: Recorder) -> None:
        self.recorder, self.done = recorder, threading.Event()

    def on_block(self, block):
        self.recorder.on_block(block)

    def on_event(self, event):
        self.recorder.on_event(event)
        if event.kind == "end":
            self.done.set()


def _record(tmp_path: Path, name: str) -> tuple[Path, dict[str, np.ndarray]]:
    scenario = get_scenario("contractions")
    sensor = SimulatedSensor(scenario, speed=0)
    info = sensor.open()
    rec = Recorder(info, tmp_path / name, patient_code="PFT-042", folder=tmp_path,
                   settings={"rms_window_s": 0.25, "band_hz": [20, 450]},
                   max_duration_s=DURATION)
    rec.start()
    tap = _UntilEnd(rec)
    sensor.start(tap)
    while rec.elapsed_s < DURATION and not tap.done.is_set():
        tap.done.wait(0.01)
    rec.add_annotation(1.5, 2.0, "protocol:squeeze")
    rec.add_marker(3, "pain")
    rec.add_annotation(0.25, 0.0, "rating:pain=2")
    sensor.close()
    path = rec.finish()
    # the same scenario and seed generate the same samples: the reference
    ref_sig = SimulatedSignal(scenario, SimulatedConfig())
    blocks = list(ref_sig.generate(DURATION + 0.1))
    ref = {s: np.concatenate([b.data for b in blocks if b.stream == s]) for s in ("emg", "pressure")}
    return path, {"emg": ref["emg"][: int(DURATION * 2000)],
                  "pressure": ref["pressure"][: int(round(DURATION * 100))]}


@pytest.mark.parametrize("name", ["session.bdf", "session.edf"])
def test_recorded_file_reads_back_identically_with_pyedflib_and_mne(tmp_path, name):
    path, ref = _record(tmp_path, name)
    fmt = "BDF" if name.endswith(".bdf") else "EDF"

    # independent reader 1: pyEDFlib (C library)
    with pyedflib.EdfReader(str(path)) as f:
        assert f.getSignalLabels() == ["EMG pfm", "EMG abdominal", "Pres pressure"]
        assert list(f.getSampleFrequencies()) == [2000.0, 2000.0, 100.0]
        assert [f.getPhysicalDimension(i) for i in range(3)] == ["uV", "uV", "cmH2O"]
        assert f.getPatientCode() == "PFT-042"
        for i, (stream, col) in enumerate([("emg", 0), ("emg", 1), ("pressure", 0)]):
            x = f.readSignal(i)
            want = ref[stream][:, col]
            step = quantisation_step(f.getPhysicalMinimum(i), f.getPhysicalMaximum(i), fmt)
            assert len(x) >= len(want)
            np.testing.assert_allclose(x[: len(want)], want, rtol=0, atol=step)
        onsets, durations, texts = f.readAnnotations()
    user = [(round(o, 3), max(round(d, 3), 0.0), str(t))  # pyEDFlib: -1 = no duration
            for o, d, t in zip(onsets, durations, texts, strict=False)
            if not t.startswith("biofeedback-meta")]
    assert (0.25, 0.0, "rating:pain=2") in user
    assert (1.5, 2.0, "protocol:squeeze") in user
    assert any(t == "marker:3:pain" and abs(o - DURATION) < 0.05 for o, _, t in user)

    # independent reader 2: MNE-Python (its own EDF/BDF parser); MNE resamples to one rate,
    # so compare the native-rate EMG channels only
    raw = mne.io.read_raw_bdf(path, verbose="error") if fmt == "BDF" else \
        mne.io.read_raw_edf(path, verbose="error")
    assert raw.ch_names == ["EMG pfm", "EMG abdominal", "Pres pressure"]
    emg = raw.get_data(picks=["EMG pfm"])[0] * 1e6  # MNE converts uV to V
    step = quantisation_step(*sorted([ref["emg"][:, 0].min(), ref["emg"][:, 0].max()]), fmt)
    np.testing.assert_allclose(emg[: len(ref["emg"])], ref["emg"][:, 0], atol=2 * step)
    assert "protocol:squeeze" in set(raw.annotations.description)

    # our own reader: exact lengths, names, units, annotations, settings
    back = read_edf(path)
    assert [s.name for s in back.streams] == ["emg", "pressure"]
    assert back.data["emg"].shape == ref["emg"].shape
    assert back.data["pressure"].shape == ref["pressure"].shape
    assert back.patient_code == "PFT-042"
    assert back.metadata["settings"]["band_hz"] == [20, 450]
    assert back.metadata["source"]["kind"] == "simulated"
    assert back.channel("pfm")[2].unit == "uV"
    assert [a.text for a in back.annotations][:2] == ["rating:pain=2", "protocol:squeeze"]


def test_bdf_keeps_microvolt_resting_signal_that_a_wide_range_edf_would_flatten(tmp_path):
    rng = np.random.default_rng(1)
    rest = rng.standard_normal((20000, 1)) * 1.5  # 1.5 µV RMS relaxed pelvic floor
    rest[5000] = 4000.0  # one large motion artefact widens the fitted range
    ch = ChannelInfo("pfm", ChannelKind.EMG, "uV", "Pelvic floor EMG")
    ss = SignalSet((StreamInfo("emg", 2000.0, (ch,)),), {"emg": rest})
    write_edf(ss, tmp_path / "r.bdf")
    write_edf(ss, tmp_path / "r.edf")
    bdf, edf = read_edf(tmp_path / "r.bdf"), read_edf(tmp_path / "r.edf")
    err_bdf = np.abs(bdf.data["emg"] - rest).max()
    err_edf = np.abs(edf.data["emg"] - rest).max()
    assert err_bdf < 0.001  # 24 bit: 0.0005 µV steps over a 4000 µV range
    assert 0.01 < err_edf < 0.1  # 16 bit: 0.06 µV steps, documented in docs/files.md
    assert bdf.metadata["resolution"]["pfm"] < 0.001


def test_mixed_rates_annotations_and_odd_lengths_round_trip(tmp_path):
    streams = (
        StreamInfo("emg", 2000.0, (ChannelInfo("pfm", ChannelKind.EMG, "uV"),)),
        StreamInfo("pressure", 100.0, (ChannelInfo("pressure", ChannelKind.PRESSURE, "cmH2O"),)),
        StreamInfo("slow", 2.5, (ChannelInfo("temp", ChannelKind.OTHER, "degC"),)),
    )
    rng = np.random.default_rng(2)
    data = {"emg": rng.normal(0, 20, (2001, 1)), "pressure": rng.normal(20, 3, (101, 1)),
            "slow": np.full((3, 1), 36.6)}
    notes = [Annotation(0.0, 0.0, "note:start é"), Annotation(0.5, 0.25, "contraction")]
    ss = SignalSet(streams, data, notes, patient_code="A 1")
    path = write_edf(ss, tmp_path / "m.edf")
    back = read_edf(path)
    assert [(s.name, s.fs) for s in back.streams] == [("emg", 2000.0), ("pressure", 100.0),
                                                      ("slow", 2.5)]
    for s in streams:
        assert back.data[s.name].shape == data[s.name].shape
    np.testing.assert_allclose(back.data["slow"], 36.6, atol=1e-3)
    assert [a.text for a in back.annotations] == ["note:start é", "contraction"]
    assert back.patient_code == "A_1"  # EDF+ patient fields use _ for spaces


def test_writer_refuses_to_overwrite_or_store_nan(tmp_path):
    ch = ChannelInfo("pfm", ChannelKind.EMG, "uV")
    ss = SignalSet((StreamInfo("emg", 100.0, (ch,)),), {"emg": np.zeros((100, 1))})
    path = tmp_path / "x.edf"
    path.write_bytes(b"precious")
    with pytest.raises(FormatError, match="already exists"):
        write_edf(ss, path)
    assert path.read_bytes() == b"precious"
    ss.data["emg"][10] = np.nan
    with pytest.raises(FormatError, match="missing"):
        write_edf(ss, tmp_path / "y.edf")
    assert not (tmp_path / "y.edf").exists()
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_foreign_edf_without_metadata_is_grouped_by_rate(tmp_path):
    path = str(tmp_path / "foreign.edf")
    with pyedflib.EdfWriter(path, 3, file_type=pyedflib.FILETYPE_EDFPLUS) as w:
        heads = []
        for label, fs, dim in [("EMG chin", 500, "uV"), ("EMG leg", 500, "uV"),
                               ("Resp belt", 25, "mV")]:
            heads.append({"label": label, "dimension": dim, "sample_frequency": fs,
                          "physical_max": 100.0, "physical_min": -100.0,
                          "digital_max": 32767, "digital_min": -32768})
        w.setSignalHeaders(heads)
        w.writeSamples([np.zeros(1000), np.ones(1000), np.zeros(50)])
        w.writeAnnotation(0.5, -1, "lights off")
    back = read_edf(path)
    assert [(s.name, s.fs) for s in back.streams] == [("emg", 500.0), ("other", 25.0)]
    assert [c.name for c in back.streams[0].channels] == ["chin", "leg"]
    np.testing.assert_allclose(back.data["emg"][:, 1], 1.0, atol=0.01)
    assert [a.text for a in back.annotations] == ["lights off"]
