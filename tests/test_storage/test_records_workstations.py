"""Two real workstation processes editing one patient on the real server: the second writer is
told and nothing is lost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from biofeedback.storage.records import PostgresDatabase

WORKER = Path(__file__).with_name("workstation_proc.py")


class Workstation:
    def __init__(self, url: str, who: str) -> None:
        self.proc = subprocess.Popen([sys.executable, str(WORKER), url, who], text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def ask(self, command: str) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=60)


def test_two_workstations_edit_one_patient_second_writer_told_nothing_lost(pg_cluster,
                                                                           pg_database):
    url = pg_cluster.url(pg_database)
    with PostgresDatabase(url) as db:
        db.repo.add_patient("P001", "Ann")
    text = url.render_as_string(hide_password=False)
    room1, room2 = Workstation(text, "t.one"), Workstation(text, "t.two")
    try:
        assert room1.ask("open P001")["version"] == 1
        assert room2.ask("open P001")["version"] == 1  # both have the page open
        assert room1.ask("rename Ann One") == {"ok": True, "version": 2}
        told = room2.ask("rename Ann Two")
        assert told["ok"] is False and "changed on another workstation" in told["conflict"]
        assert "reload" in told["conflict"]
        assert room2.ask("open P001") == {"ok": True, "version": 2, "name": "Ann One"}
        assert room2.ask("rename Ann Two")["ok"] is True  # after reloading: saved
        assert room1.ask("note from room 1")["ok"] and room2.ask("note from room 2")["ok"]
    finally:
        assert room1.close() == 0 and room2.close() == 0
    with PostgresDatabase(url) as db:
        p = db.repo.get_patient("P001")
        assert (p.name, p.version) == ("Ann Two", 3)
        assert sorted(n.text for n in db.repo.notes("P001")) == ["from room 1", "from room 2"]
        changes = [(e.actor, e.detail) for e in reversed(db.repo.audit_log(patient="P001"))
                   if e.action == "changed"]
        assert changes[:2] == [("t.one", "name changed"), ("t.two", "name changed")]
