"""One simulated workstation process for the two-writer test: reads commands on stdin, answers
one JSON line each on stdout. ``open CODE`` reads the patient (remembering the version seen),
``rename NAME`` saves a new name against that version, ``note TEXT`` adds a note."""

from __future__ import annotations

import json
import sys

from sqlalchemy.engine import make_url

from biofeedback.storage.records import ConflictError, PostgresDatabase
from biofeedback.storage.records.models import Actor


def main(url: str, who: str) -> None:
    db = PostgresDatabase(make_url(url), auto_migrate=False)
    repo = db.repo.with_actor(Actor(who, "therapist", who))
    seen = None
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        try:
            if cmd == "open":
                seen = repo.get_patient(arg)
                out = {"ok": True, "version": seen.version, "name": seen.name}
            elif cmd == "rename":
                assert seen is not None
                seen = repo.set_patient_name(seen.code, arg, expected_version=seen.version)
                out = {"ok": True, "version": seen.version}
            elif cmd == "note":
                assert seen is not None
                out = {"ok": True, "id": repo.add_note(seen.code, arg).id}
            else:
                break
        except ConflictError as exc:
            out = {"ok": False, "conflict": str(exc)}
        print(json.dumps(out), flush=True)
    db.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
