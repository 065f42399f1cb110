"""Storing a finished session, programme files (clinic → home) and session bundles
(home → clinic): round trips, tampered and malformed files refused with nothing half-imported."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import stat
import zipfile
from pathlib import Path

import pytest

from biofeedback.app.bundle import export_bundle, import_bundle
from biofeedback.app.programme import (
    DilatorSize,
    Programme,
    ProgrammeProtocol,
    Schedule,
    current_programme,
    dilator_suggestion,
    import_programme,
    read_programme,
    write_programme,
)
from biofeedback.app.records import sha256_file, store_session
from biofeedback.sessions.loader import load_builtin
from biofeedback.sessions.results import SessionResult, StepResult
from biofeedback.storage.records import RecordsError, Repository, SqliteDatabase
from biofeedback.storage.records.progression import ProgressionRule

MINE = '''[protocol]
name = "mine"
title = "Mine"
description = "A short rest."

[[step]]
name = "Rest"
kind = "rest"
duration_s = 30
instruction = "Rest."
'''


def _db(tmp_path: Path, name: str) -> SqliteDatabase:
    return SqliteDatabase(tmp_path / name / "records.sqlite3", backup_folder=tmp_path / name / "b")


def _dilator_result(size: float = 2, pain_after: float = 2) -> SessionResult:
    p = load_builtin("dilator")
    vals = {"Dilator size": {"rating": size}, "Pain before": {"rating": 1.0},
            "Anxiety before": {"rating": 30.0}, "Settle": {"mean_uv": 3.0, "sd_uv": 0.3},
            "Insertion": {"mean_uv": 4.0}, "Hold": {"mean_uv": 3.3}, "Removal": {},
            "Pain after": {"rating": pain_after}, "Anxiety after": {"rating": 10.0}}
    t, steps = 0.0, []
    for i, st in enumerate(p.steps):
        d = st.duration_s or 1.0
        steps.append(StepResult(i, st.name, st.name, "", st.kind.value, t, t + d, True,
                                vals[st.name]))
        t += d
    return SessionResult("dilator", p.title, steps,
                         {"baseline_uv": 3.0, "practised_s": t, "ratings": {}}, "finished")


def test_a_finished_session_is_stored_with_ratings_dilator_entry_and_checksum(tmp_path):
    rec_file = tmp_path / "s.bdf"
    rec_file.write_bytes(b"0" * 5000)
    with _db(tmp_path, "clinic") as db:
        db.repo.add_patient("P001")
        stored = store_session(db.repo, "P001", _dilator_result(), load_builtin("dilator"),
                               recording=rec_file)
        (back,) = db.repo.sessions("P001")
    assert back == stored
    assert back.recording_sha256 == hashlib.sha256(b"0" * 5000).hexdigest()
    assert [(r.scale, r.value, r.label) for r in back.ratings] == [
        ("pain", 1.0, "Pain before"), ("anxiety", 30.0, "Anxiety before"),
        ("pain", 2.0, "Pain after"), ("anxiety", 10.0, "Anxiety after")]
    d = back.dilator
    assert (d.size, d.full_insertion, d.hold_s, d.pain_max) == (2, True, 600.0, 2.0)
    assert (d.hold_mean_uv, d.baseline_uv) == (3.3, 3.0)
    with _db(tmp_path, "clinic") as db, pytest.raises(RecordsError, match="no patient 'P404'"):
        store_session(db.repo, "P404", _dilator_result(), load_builtin("dilator"))


def _programme() -> Programme:
    return Programme("P001", (ProgrammeProtocol("down-training"), ProgrammeProtocol("mine", MINE)),
                     Schedule(4, 20, ("mon", "thu")),
                     (DilatorSize(1, "XS", 19.0), DilatorSize(2, "S", 22.0), DilatorSize(3, "M")),
                     1, ProgressionRule(hold_target_min=5.0), "Gently does it.")


def test_a_programme_goes_from_clinic_to_home_and_is_refused_when_changed(tmp_path):
    path = tmp_path / "P001.bfprog"
    sha = write_programme(_programme(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    prog, _, sha_read = read_programme(path)
    assert sha_read == sha and prog == dataclasses.replace(_programme(), created=prog.created)
    assert [p.name for p in prog.load_protocols()] == ["down-training", "mine"]
    with _db(tmp_path, "home") as home:
        got, new = import_programme(home.repo, path)  # the home app creates the patient
        assert new and got.patient_code == "P001" and home.repo.get_patient("P001")
        assert import_programme(home.repo, path)[1] is False  # the same file again
        assert current_programme(home.repo, "P001") == got
        s = dilator_suggestion(home.repo, "P001")
        assert (s.action, s.size) == ("start", 1)
    doc = json.loads(path.read_text())
    doc["programme"]["schedule"]["sessions_per_week"] = 14
    tampered = tmp_path / "tampered.bfprog"
    tampered.write_text(json.dumps(doc))
    with pytest.raises(RecordsError, match=r"tampered.bfprog: checksum mismatch"):
        read_programme(tampered)
    # a programme whose checksum fits but whose embedded protocol is broken
    doc["programme"]["protocols"][1]["toml"] = MINE.replace("duration_s = 30", "duration_s = -1")
    text = json.dumps(doc["programme"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    doc["sha256"] = hashlib.sha256(text.encode()).hexdigest()
    bad = tmp_path / "bad.bfprog"
    bad.write_text(json.dumps(doc))
    with pytest.raises(RecordsError, match=r"bad.bfprog: protocol mine.*duration_s"):
        read_programme(bad)
    for content, problem in ((b"\x00\x01", "not JSON"), (b"[1]", "not a programme file"),
                             (b'{"format": "biofeedback-programme", "version": 7}', "version 7")):
        junk = tmp_path / "junk.bfprog"
        junk.write_bytes(content)
        with pytest.raises(RecordsError, match=problem) as e:
            read_programme(junk)
        assert str(e.value).startswith(str(junk))
    with pytest.raises(RecordsError, match="not built into this app"):
        write_programme(dataclasses.replace(_programme(), protocols=(ProgrammeProtocol("nope"),)),
                        tmp_path / "x.bfprog")
    assert not (tmp_path / "x.bfprog").exists()


@pytest.fixture
def home(tmp_path, make_session):
    """A home computer with P001 and two sessions with recordings."""
    db = _db(tmp_path, "home")
    db.repo.add_patient("P001", "Only Here")
    recs = []
    for day in (0, 3):
        f = tmp_path / f"rec{day}.bdf"
        f.write_bytes(bytes([day]) * 20000)
        r = dataclasses.replace(make_session(day=day, size=2, origin="home"),
                                recording_path=str(f), recording_sha256=sha256_file(f))
        db.repo.add_session(r)
        recs.append(r)
    db.repo.add_note("P001", "a private note")
    yield db, recs
    db.close()


def _state(db: SqliteDatabase) -> list:
    return [(p, db.repo.sessions(p.code), db.repo.notes(p.code)) for p in db.repo.list_patients()]


def test_a_bundle_goes_home_to_clinic_once(tmp_path, home):
    db, recs = home
    bundle = tmp_path / "P001.bfbundle"
    r = export_bundle(db.repo, "P001", bundle)
    assert (r.sessions, r.recordings) == (2, 2) and stat.S_IMODE(bundle.stat().st_mode) == 0o600
    assert b"Only Here" not in bundle.read_bytes() and b"private note" not in bundle.read_bytes()
    folder = tmp_path / "clinic-recordings"
    with _db(tmp_path, "clinic") as clinic:
        with pytest.raises(RecordsError, match="no patient 'P001'"):
            import_bundle(clinic.repo, bundle, folder=folder)
        assert not folder.exists() or not any(folder.iterdir())
        clinic.repo.add_patient("P001")
        got = import_bundle(clinic.repo, bundle, folder=folder)
        assert got.added == tuple(x.uid for x in recs) and got.recordings == 2
        again = import_bundle(clinic.repo, bundle, folder=folder)
        assert again.added == () and again.skipped == got.added  # nothing duplicated
        back = clinic.repo.sessions("P001")
    assert len(back) == 2
    for mine, theirs in zip(recs, back, strict=True):
        assert dataclasses.replace(theirs, recording_path=mine.recording_path) == mine
        copied = Path(theirs.recording_path)
        assert copied.parent == folder and sha256_file(copied) == mine.recording_sha256
        assert stat.S_IMODE(copied.stat().st_mode) == 0o600


def _rewrite(src: Path, dst: Path, change) -> Path:
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members = change(members)
    with zipfile.ZipFile(dst, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    return dst


def _manifest_edit(m: dict) -> dict:
    body = json.loads(m["manifest.json"])
    body["sessions"][0]["duration_s"] = 1.0
    return m | {"manifest.json": json.dumps(body).encode()}


def _resummed(m: dict) -> dict:
    body = json.loads(m["manifest.json"])
    body["sessions"][1]["ratings"][0]["value"] = 42  # pain out of 0-10, checksum made to fit
    raw = json.dumps(body).encode()
    return m | {"manifest.json": raw, "manifest.sha256": hashlib.sha256(raw).hexdigest().encode()}


@pytest.mark.parametrize(("change", "problem"), [
    (lambda m: m | {next(k for k in m if k.startswith("recordings/")): b"x" * 20000},
     "checksum mismatch: the recording"),
    (_manifest_edit, "manifest checksum mismatch"),
    (lambda m: m | {"../evil.sh": b"rm -rf"}, "unexpected member"),
    (lambda m: {k: v for k, v in m.items() if k != "manifest.sha256"}, "no manifest.json"),
    (lambda m: {k: v for k, v in m.items()
                if not k.startswith("recordings/") or k.endswith("zz")}, "file list does not"),
    (_resummed, "field 'value' must be a number from 0 to 10"),
])
def test_a_tampered_bundle_is_refused_and_nothing_changes(tmp_path, home, change, problem):
    db, _ = home
    good = tmp_path / "good.bfbundle"
    export_bundle(db.repo, "P001", good)
    bad = _rewrite(good, tmp_path / "bad.bfbundle", change)
    folder = tmp_path / "clinic-recordings"
    with _db(tmp_path, "clinic") as clinic:
        clinic.repo.add_patient("P001")
        before = _state(clinic)
        with pytest.raises(RecordsError, match=problem) as e:
            import_bundle(clinic.repo, bad, folder=folder)
        assert str(e.value).startswith(str(bad)) and "\n" not in str(e.value)
        assert _state(clinic) == before
    assert not any(folder.iterdir()) if folder.exists() else True


def test_a_bundle_failing_half_way_imports_nothing(tmp_path, home):
    db, recs = home
    bundle = tmp_path / "P001.bfbundle"
    export_bundle(db.repo, "P001", bundle)
    folder = tmp_path / "clinic-recordings"
    with _db(tmp_path, "clinic") as clinic:
        clinic.repo.add_patient("P001")
        clinic.repo.add_patient("P002")
        # the second session's id is already another patient's: the import fails there
        clinic.repo.add_session(dataclasses.replace(recs[1], patient_code="P002",
                                                    recording_path=None))
        with pytest.raises(RecordsError, match="belongs to another patient"):
            import_bundle(clinic.repo, bundle, folder=folder)
        assert clinic.repo.sessions("P001") == []
    assert list(folder.iterdir()) == []  # the first session's copied recording was removed
    for junk in (b"not a zip", b""):
        f = tmp_path / "junk.bfbundle"
        f.write_bytes(junk)
        with _db(tmp_path, "clinic") as clinic, pytest.raises(RecordsError, match="not a bundle"):
            import_bundle(clinic.repo, f, folder=folder)


def test_a_deidentified_bundle_shifts_dates_drops_recordings_and_is_not_importable(tmp_path,
                                                                                 home):
    db, recs = home
    out = tmp_path / "share.bfbundle"
    r = export_bundle(db.repo, "P001", out, deidentify=True)
    assert r.deidentified and r.recordings == 0
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["manifest.json", "manifest.sha256"]
        m = json.loads(z.read("manifest.json"))
    assert m["deidentified"] is True and m["files"] == {}
    starts = [dt.datetime.fromisoformat(s["started"]) for s in m["sessions"]]
    assert starts[0] == dt.datetime(2000, 1, 1, 17, tzinfo=dt.UTC)  # time of day kept
    assert starts[1] - starts[0] == recs[1].started - recs[0].started  # intervals kept
    text = out.read_bytes()
    for secret in (b"Only Here", b"private note", b"2026-", b"rec0.bdf"):
        assert secret not in text
    assert all(s["recording_sha256"] is None and s["recording_file"] is None
               for s in m["sessions"])
    with _db(tmp_path, "clinic") as clinic:
        clinic.repo.add_patient("P001")
        with pytest.raises(RecordsError, match="de-identified"):
            import_bundle(clinic.repo, out)
        assert clinic.repo.sessions("P001") == []


def test_a_bundle_stored_meanwhile_by_another_workstation_counts_as_skipped(tmp_path, home,
                                                                           monkeypatch):
    """Two workstations import one bundle at once: both see the session missing, one stores
    it. The other's insert stores nothing (ON CONFLICT), so it reports the session skipped and
    removes the recording copy it no longer needs."""
    db, _recs = home
    bundle = tmp_path / "P001.bfbundle"
    export_bundle(db.repo, "P001", bundle)
    with _db(tmp_path, "clinic") as clinic:
        clinic.repo.add_patient("P001")
        first = import_bundle(clinic.repo, bundle, folder=tmp_path / "room-1")
        # the second workstation checked before the first one committed
        monkeypatch.setattr(Repository, "has_session", lambda self, uid: False)
        second = import_bundle(clinic.repo, bundle, folder=tmp_path / "room-2")
        assert second.added == () and second.skipped == first.added
        assert len(clinic.repo.sessions("P001")) == 2
        assert not any((tmp_path / "room-2").iterdir())  # its copies were not needed
        assert all(Path(s.recording_path).parent == tmp_path / "room-1"
                   for s in clinic.repo.sessions("P001"))
