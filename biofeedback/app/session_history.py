"""The previous result of each protocol, for the end-of-session comparison.

A small stop-gap until the records issue keeps sessions in the database: the last *finished*
session of a protocol is kept as JSON in ``<data dir>/sessions/<protocol>-last.json`` (folder
0700, file 0600: it is health data). A stopped or interrupted session is not kept, so "last
time" is always a whole session. A missing or unreadable file means "no previous session":
the comparison is a nicety, never a reason to fail.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from biofeedback.sessions.results import SessionResult, StepResult
from biofeedback.storage.paths import data_dir, ensure_private_dir, open_private, safe_name

log = logging.getLogger(__name__)
MAX_FILE_BYTES = 2 * 1024 * 1024


def sessions_dir() -> Path:
    """``<data dir>/sessions`` (created private)."""
    return ensure_private_dir(ensure_private_dir(data_dir()) / "sessions")


def last_path(protocol: str) -> Path:
    name = safe_name(protocol) or "protocol"
    return sessions_dir() / f"{name}-last.json"


def save_last(result: SessionResult) -> Path | None:
    """Keep ``result`` as the protocol's last session (only a finished one); returns the path."""
    if result.ended != "finished":
        return None
    path = last_path(result.protocol)
    text = json.dumps(result.to_json_dict(), allow_nan=False, indent=1)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = open_private(tmp)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # never a half-written "last session"
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_last(protocol: str) -> SessionResult | None:
    """The protocol's last finished session, or None (none yet, or the file is unusable)."""
    try:
        path = last_path(protocol)
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return None
        d = json.loads(path.read_text(encoding="utf-8"))
        result = from_json_dict(d)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        log.warning("the previous %s session could not be read: %s", protocol, exc)
        return None
    return result if result.protocol == protocol else None


def from_json_dict(d: dict[str, Any]) -> SessionResult:
    """The inverse of :meth:`SessionResult.to_json_dict` (JSON ``null`` numbers stay None)."""
    steps = [StepResult(int(s["index"]), str(s["name"]), str(s["step"]), str(s["group"]),
                        str(s["kind"]), _float(s["start_s"]), _float(s["end_s"]),
                        bool(s["completed"]), dict(s.get("results") or {}))
             for s in d["steps"]]
    summary = d.get("summary") or {}
    if not isinstance(summary, dict):
        raise ValueError("summary is not an object")
    return SessionResult(str(d["protocol"]), str(d["title"]), steps, summary, str(d["ended"]))


def _float(v: Any) -> float:
    return float("nan") if v is None else float(v)


__all__ = ["from_json_dict", "last_path", "load_last", "save_last", "sessions_dir"]
