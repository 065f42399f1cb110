"""Where the app keeps a user's data: private folders, private files.

``$BIOFEEDBACK_DATA_DIR`` if set, else the platform's per-user data folder found by
``platformdirs`` (``$XDG_DATA_HOME/biofeedback`` or ``~/.local/share/biofeedback`` on Linux,
``~/Library/Application Support/biofeedback`` on macOS, ``%LOCALAPPDATA%\\biofeedback`` on
Windows). Health data: folders are created 0700 and files 0600, so other accounts on a shared
clinic computer cannot read them.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import warnings
from pathlib import Path

import platformdirs

from biofeedback.formats.errors import BiofeedbackWarning

DIR_MODE = 0o700
FILE_MODE = 0o600
APP_NAME = "biofeedback"


def data_dir() -> Path:
    env = os.environ.get("BIOFEEDBACK_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))


def settings_file() -> Path:
    """``<data dir>/settings.json``: window and feedback preferences (no health data)."""
    return data_dir() / "settings.json"


class UnsafeFolderWarning(BiofeedbackWarning):
    """The data folder can be changed by another account (health data at risk)."""


def folder_problem(path: Path) -> str | None:
    """Why ``path`` is not a safe place for health data, or None: a folder owned by another
    account that others may write into (they could replace or read recordings)."""
    if sys.platform == "win32":
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    if st.st_uid != os.getuid() and st.st_mode & (stat.S_IWOTH | stat.S_IWGRP):
        return (f"{path} belongs to another account (uid {st.st_uid}) and others can write "
                "into it; recordings there are not private. Set BIOFEEDBACK_DATA_DIR to a "
                "folder of your own")
    return None


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700; tighten an existing folder we own; warn
    (:class:`UnsafeFolderWarning`) about a folder of another account that others can write."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if sys.platform != "win32":
        st = path.stat()
        if st.st_uid == os.getuid() and st.st_mode & 0o077:
            path.chmod(DIR_MODE)
        problem = folder_problem(path)
        if problem:
            warnings.warn(problem, UnsafeFolderWarning, stacklevel=2)
    return path


def recordings_dir() -> Path:
    """``<data dir>/recordings``: journals of sessions in progress and finished recordings."""
    root = ensure_private_dir(data_dir())
    return ensure_private_dir(root / "recordings")


def safe_name(text: str, limit: int = 40) -> str:
    """A file-name-safe form of a patient code or label (no path separators, no spaces)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._")[:limit]


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_CREAT | os.O_EXCL) -> int:
    """Open a new file readable by its owner only; fails if it exists (nothing is overwritten)."""
    return os.open(path, flags | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
