"""``biofeedback analyze`` on real recordings (converted to CSV here) and on broken files."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from biofeedback.cli import main
from biofeedback.formats.csvfile import write_csv
from biofeedback.streams import ChannelInfo, ChannelKind, SignalSet, StreamInfo

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
UNITS = {"adc_counts_12bit": "counts", "unspecified (probably mV)": "mV"}
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"real recordings not found at {DATA}")


def npz_to_csv(name: str, out: Path) -> Path:
    """Convert one shared recording to the project CSV format (NaN dropouts become 0: the CSV
    format has no missing-value marker)."""
    z = np.load(DATA / name)
    x = np.nan_to_num(np.asarray(z["signal"], dtype=float))
    unit = UNITS.get(str(z["unit"]), "uV")  # emgGO: "raw amplifier units; likely uV"
    names = [str(c).lower().replace(" ", "") for c in z["channels"]]
    chans = tuple(ChannelInfo(n if len(names) > 1 else "emg", ChannelKind.EMG, unit)
                  for n in names)
    ss = SignalSet((StreamInfo("emg", float(z["fs"]), chans),), {"emg": x})
    return write_csv(ss, out / (name.replace(".npz", ".csv")))


def run_json(capsys, *args: str) -> dict:
    assert main(["analyze", "--json", *args]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # one JSON object on one line
    return json.loads(out)


SCHEMA_KEYS = {"schema", "file", "fs", "duration_s", "n_samples", "channel", "channels", "unit",
               "baseline", "threshold_uv", "contractions", "quality", "strain", "metrics",
               "settings", "notes", "feedback"}


def check_schema(d: dict) -> None:
    assert set(d) >= SCHEMA_KEYS
    assert d["schema"] == "biofeedback.analysis/1"
    assert {"mean_uv", "sd_uv", "cv_percent", "source", "seconds"} <= set(d["baseline"])
    for ev in d["contractions"]:
        assert {"id", "onset_s", "offset_s", "duration_s", "peak_uv", "time_to_peak_s",
                "recovery_latency_s", "truncated"} <= set(ev)
        assert ev["offset_s"] is None or ev["offset_s"] > ev["onset_s"]
    assert {"seconds", "usable_seconds", "usable_fraction", "flag_counts", "hum_hz",
            "suggestion", "flagged_seconds"} <= set(d["quality"])
    assert {"recording", "rest", "contractions"} <= set(d["metrics"])
    fb = d["feedback"]
    assert fb["states"] == ["no_signal", "settling", "relaxed", "letting_go", "tight",
                            "bearing_down"]
    runs = fb["runs"]
    assert runs[0]["start_s"] == 0 and runs[-1]["end_s"] == pytest.approx(d["duration_s"])
    for a, b in itertools.pairwise(runs):
        assert a["end_s"] == b["start_s"] and b["end_s"] > b["start_s"]
        assert b["state"] in fb["states"]
    for m in d["metrics"].values():
        assert {"mean_uv", "sd_uv", "cv_percent", "peak_uv", "rise_time_s",
                "recovery_latency_s", "median_frequency_hz", "usable_s"} <= set(m)


@needs_data
def test_emggo_tibialis_finds_the_56_documented_activations(tmp_path, capsys):
    d = run_json(capsys, str(npz_to_csv("emggo_tibialis_250hz.npz", tmp_path)))
    check_schema(d)
    assert d["fs"] == pytest.approx(250.0)
    assert d["duration_s"] == pytest.approx(549.68, abs=0.01)
    assert abs(len(d["contractions"]) - 56) <= 3  # emgGO documents 56 activations


@needs_data
def test_biosppy_emg1_finds_the_three_clear_bursts(tmp_path, capsys):
    d = run_json(capsys, str(npz_to_csv("biosppy_emg1_1000hz.npz", tmp_path)))
    check_schema(d)
    assert d["unit"] == "counts" and any("unit" in n for n in d["notes"])
    onsets = [ev["onset_s"] for ev in d["contractions"]]
    for burst in (1.5, 16.0, 26.0):  # documented in shared/data/README.md
        assert any(abs(o - burst) < 1.0 for o in onsets), (burst, onsets)
    assert len(onsets) <= 10
    assert d["baseline"]["mean_uv"] < 10  # ADC counts of a quiet muscle, not a burst


@needs_data
def test_hum_recording_flags_hum_and_suggests_the_notch(tmp_path, capsys):
    path = npz_to_csv("emgflow_face_2000hz_hum.npz", tmp_path)
    d = run_json(capsys, str(path), "--channel", "zygomaticus")
    check_schema(d)
    assert d["unit"] == "uV"  # mV converted to µV
    assert d["quality"]["flag_counts"]["hum"] >= 5
    assert d["quality"]["hum_hz"] == 50.0
    assert d["quality"]["suggestion"].startswith("Mains hum at 50 Hz is measured")
    notch = run_json(capsys, str(path), "--channel", "zygomaticus", "--notch", "50")
    assert notch["settings"]["notch_hz"] == 50.0
    assert notch["metrics"]["recording"]["mean_uv"] < 0.5 * d["metrics"]["recording"]["mean_uv"]


@needs_data
def test_text_report_on_a_real_recording(tmp_path, capsys):
    assert main(["analyze", str(npz_to_csv("biosppy_emg_lowsnr_1000hz.npz", tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "resting baseline" in out and "contractions:" in out and "metrics" in out


def test_simulated_recording_matches_the_script(tmp_path, capsys):
    from biofeedback.devices.scenario import Scenario
    from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal, source_info

    sc = Scenario.parse("rest:1,contract:3@0.6,rest:6,contract:2@0.5,rest:6")
    sig = SimulatedSignal(sc, SimulatedConfig(seed=11))
    emg, pr = [], []
    for b in sig.generate(sc.duration_s):
        (emg if b.stream == "emg" else pr).append(b.data)
    info = source_info(SimulatedConfig())
    ss = SignalSet(info.streams, {"emg": np.concatenate(emg), "pressure": np.concatenate(pr)})
    d = run_json(capsys, str(write_csv(ss, tmp_path / "sim.csv")))
    check_schema(d)
    assert d["channel"] == "pfm" and d["channels"] == ["pfm", "abdominal"]
    assert 2.0 < d["baseline"]["mean_uv"] < 4.0  # simulated rest: 3 µV RMS
    got = [(ev["onset_s"], ev["offset_s"]) for ev in d["contractions"]]
    assert len(got) == 2
    for (on, off), (a, b) in zip(got, sc.contraction_intervals(), strict=True):
        assert abs(on - a) < 0.1 and off > b - 0.2
    assert all(ev["recovery_latency_s"] is not None for ev in d["contractions"])


@pytest.mark.parametrize("content,args,expected", [
    ("", [], "empty file"),
    ("1,2\n3,4\n", [], "missing header"),
    ("time_s,emg_uv\n0,1\n0.001,x\n", [], "is not a number"),
    ("time_s,emg_uv\n0,1\n0.002,1\n0.001,2\n", [], "not increasing"),
    ("emg_uv\n1\n2\n", [], "--fs"),
    ("time_s,pressure_cmh2o\n0,1\n0.01,2\n", [], "no EMG channel"),
    ("time_s,emg_uv\n0,1\n0.001,2\n", ["--channel", "nope"], "no channel 'nope'"),
    ("emg_uv\n1\n2\n", ["--fs", "-5"], "--fs must be a positive"),
    ("time_s,emg_uv\n0,1\n0.001,2\n", ["--rest", "5:1"], "--rest"),
])
def test_broken_input_gives_one_line_error_and_nonzero_exit(tmp_path, capsys, content, args,
                                                             expected):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    code = main(["analyze", *args, str(path)])
    captured = capsys.readouterr()
    assert code != 0 and captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err
    assert lines[0].startswith("biofeedback analyze: error:") and expected in lines[0]


def test_missing_and_unknown_files(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "none.csv")]) != 0
    assert "no such file" in capsys.readouterr().err
    odd = tmp_path / "x.npz"
    odd.write_bytes(b"PK\x03\x04 not a signal file")
    assert main(["analyze", str(odd)]) != 0
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "unknown file type" in err


def test_real_entry_point_prints_no_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("time_s,emg_uv\n0,1\n0.001,oops\n")
    proc = subprocess.run([sys.executable, "-m", "biofeedback", "analyze", "--json", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and proc.stdout == ""
    assert "Traceback" not in proc.stderr and "oops" in proc.stderr


def test_help_has_an_example(capsys):
    with pytest.raises(SystemExit):
        main(["analyze", "--help"])
    assert "Examples:" in capsys.readouterr().out


def test_analyze_reads_the_projects_recordings(tmp_path, capsys):
    """An EDF+/BDF+ recording (written by the recording engineer's writer) analyses like CSV."""
    from biofeedback.devices.scenario import Scenario
    from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal, source_info
    from biofeedback.formats.signal_file import write_signal_file

    sc = Scenario.parse("rest:2,contract:2@0.6,rest:4")
    sig = SimulatedSignal(sc, SimulatedConfig(seed=5))
    emg, pr = [], []
    for b in sig.generate(sc.duration_s):
        (emg if b.stream == "emg" else pr).append(b.data)
    info = source_info(SimulatedConfig())
    ss = SignalSet(info.streams, {"emg": np.concatenate(emg), "pressure": np.concatenate(pr)})
    for suffix in (".bdf", ".csv"):
        path = write_signal_file(ss, tmp_path / f"rec{suffix}")
        d = run_json(capsys, str(path))
        check_schema(d)
        assert d["channel"] == "pfm" and d["fs"] == pytest.approx(2000.0)
        assert len(d["contractions"]) == 1
        assert d["contractions"][0]["onset_s"] == pytest.approx(2.0, abs=0.1)


def test_strain_episodes_in_the_json(tmp_path, capsys):
    from biofeedback.devices.scenario import Scenario
    from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal, source_info

    sc = Scenario.parse("rest:3,strain:4@0.6,rest:4,contract:3@0.6,rest:4")
    sig = SimulatedSignal(sc, SimulatedConfig(seed=6))
    emg, pr = [], []
    for b in sig.generate(sc.duration_s):
        (emg if b.stream == "emg" else pr).append(b.data)
    info = source_info(SimulatedConfig())
    ss = SignalSet(info.streams, {"emg": np.concatenate(emg), "pressure": np.concatenate(pr)})
    d = run_json(capsys, str(write_csv(ss, tmp_path / "strain.csv")))
    eps = d["strain"]["episodes"]
    assert len(eps) == 1 and 3.0 < eps[0]["onset_s"] < 4.0 and 6.5 < eps[0]["offset_s"] < 8.5
    assert len(d["contractions"]) == 1 and abs(d["contractions"][0]["onset_s"] - 11.0) < 0.1


def test_feedback_runs_are_what_the_live_meter_showed_on_replay(tmp_path, capsys):
    """The same file through the live session (as the window replays it) and through
    ``analyze --json``: the meter's state at every display sample is the state in the runs."""
    from biofeedback.app.live_session import LiveSession
    from biofeedback.app.live_types import SessionPhase
    from biofeedback.devices.scenario import Scenario
    from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal, source_info
    from biofeedback.signal import FeedbackState

    sc = Scenario.parse("rest:6,contract:3@0.6,rest:6~2,strain:3@0.6,rest:6")
    sig = SimulatedSignal(sc, SimulatedConfig(seed=5))
    emg = np.concatenate([b.data for b in sig.generate(sc.duration_s) if b.stream == "emg"])
    emg_only = (source_info(SimulatedConfig()).stream("emg"),)  # no pressure: same strain rule
    path = write_csv(SignalSet(emg_only, {"emg": emg}), tmp_path / "fb.csv")
    d = run_json(capsys, str(path))
    session = LiveSession(window_s=60.0)
    session.start(f"replay:{path}", speed=0)
    try:
        deadline = time.monotonic() + 30
        while session.phase() is not SessionPhase.ENDED:
            session.poll()
            assert time.monotonic() < deadline
        idx, live = session.engine.feedback.latest(10**6)
    finally:
        session.stop()
    keys = [s.key for s in FeedbackState]
    idx, live = idx[1:], live[1:]  # display point k holds EMG sample 20 k - 1 (none for k = 0)
    t = (idx * 20 - 1) / 2000.0  # the time of that sample in the file (no seek)
    runs = d["feedback"]["runs"]
    starts = np.array([r["start_s"] for r in runs])
    which = np.searchsorted(starts, t + 1e-9, side="right") - 1
    offline = np.array([keys.index(runs[k]["state"]) for k in which])
    assert len(live) > 2000 and (live[:, 0] == offline).all()
    assert {"relaxed", "tight", "bearing_down"} <= {r["state"] for r in runs}
