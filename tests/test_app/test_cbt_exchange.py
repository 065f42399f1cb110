"""CBT and partner content in the home bundle: it travels with the sessions, merges once (a
second import adds nothing), carries the partner ticks made later, links practice to the
imported session, is refused whole when malformed, and never leaves in a de-identified export
or with ``include_cbt=False``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from biofeedback.app.bundle import export_bundle, import_bundle
from biofeedback.storage.records import RecordsError, SqliteDatabase

T0 = dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC)


def _db(tmp_path: Path, name: str) -> SqliteDatabase:
    return SqliteDatabase(tmp_path / name / "records.sqlite3", backup_folder=tmp_path / name / "b")


@pytest.fixture
def home(tmp_path, make_session):
    db = _db(tmp_path, "home")
    repo = db.repo
    repo.add_patient("P001")
    rec = make_session(origin="home")
    repo.add_session(rec)
    step = repo.add_exposure_step("P001", "Smallest dilator, lying down", 60,
                                  expectation="It will hurt", created=T0)
    repo.add_exposure_practice(step.uid, 55, 25, pain=2, outcome="Tight, then it eased",
                               session_uid=rec.uid, practised=T0)
    repo.add_thought("P001", "Before practice", "It will tear", "afraid", 80,
                     balanced="It stretched last time", rerating=35, taken=T0)
    repo.add_partner_step("P001", "Massage without genital touch", created=T0)
    yield db, rec
    db.close()


def _manifest(path: Path) -> dict:
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("manifest.json"))


def test_cbt_content_travels_home_to_clinic_once(tmp_path, home):
    db, rec = home
    bundle = tmp_path / "P001.bfbundle"
    r = export_bundle(db.repo, "P001", bundle)
    assert r.cbt_entries == 4 and set(_manifest(bundle)["cbt"]) == {
        "hierarchy", "thoughts", "partner_steps"}
    with _db(tmp_path, "clinic") as clinic:
        clinic.repo.add_patient("P001")
        got = import_bundle(clinic.repo, bundle, folder=tmp_path / "recs")
        assert got.cbt is not None and (got.cbt.added, got.cbt.updated) == (4, 0)
        assert clinic.repo.cbt_content("P001") == db.repo.cbt_content("P001")
        practice = clinic.repo.exposure_steps("P001")[0].practices[0]
        assert practice.session_uid == rec.uid  # linked to the session imported with it
        again = import_bundle(clinic.repo, bundle, folder=tmp_path / "recs")
        assert (again.cbt.added, again.cbt.unchanged) == (0, 4)
        assert len(clinic.repo.thoughts("P001")) == 1
        # ticked off together at home a week later: the next bundle brings the tick
        db.repo.set_partner_done(db.repo.partner_steps("P001")[0].uid,
                                 at=T0 + dt.timedelta(days=7))
        later = tmp_path / "later.bfbundle"
        export_bundle(db.repo, "P001", later)
        third = import_bundle(clinic.repo, later, folder=tmp_path / "recs")
        assert (third.cbt.added, third.cbt.updated) == (0, 1)
        assert clinic.repo.partner_steps("P001")[0].done == T0 + dt.timedelta(days=7)


def test_deidentified_or_opted_out_exports_carry_no_cbt_content(tmp_path, home):
    db, _ = home
    for name, kwargs in (("share", {"deidentify": True}), ("mine", {"include_cbt": False})):
        path = tmp_path / f"{name}.bfbundle"
        r = export_bundle(db.repo, "P001", path, **kwargs)
        raw = path.read_bytes()
        assert r.cbt_entries == 0 and "cbt" not in _manifest(path)
        with zipfile.ZipFile(path) as z:
            text = z.read("manifest.json")
        for private in (b"It will tear", b"Massage", b"dilator, lying"):
            assert private not in text and private not in raw


def test_a_bundle_with_malformed_cbt_content_is_refused_and_nothing_is_imported(tmp_path, home):
    db, _ = home
    good = tmp_path / "good.bfbundle"
    export_bundle(db.repo, "P001", good)
    with zipfile.ZipFile(good) as z:
        members = {n: z.read(n) for n in z.namelist()}
    body = json.loads(members["manifest.json"])
    body["cbt"]["thoughts"][0]["intensity"] = 250  # out of 0-100, checksum made to fit
    raw = json.dumps(body).encode()
    members |= {"manifest.json": raw, "manifest.sha256": hashlib.sha256(raw).hexdigest().encode()}
    bad = tmp_path / "bad.bfbundle"
    with zipfile.ZipFile(bad, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    with _db(tmp_path, "clinic") as clinic:
        clinic.repo.add_patient("P001")
        with pytest.raises(RecordsError, match=r"'intensity' must be a number from 0 to 100") as e:
            import_bundle(clinic.repo, bad, folder=tmp_path / "recs")
        assert str(e.value).startswith(str(bad)) and "\n" not in str(e.value)
        assert clinic.repo.sessions("P001") == [] and clinic.repo.cbt_content("P001").empty
