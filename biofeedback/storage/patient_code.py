"""Pseudonymous patient codes: the only patient identifier the app stores (EDF+ header, file name).

The pattern (documented in ``docs/files.md``): **1 to 4 letters, then 1 to 8 digits**,
optionally followed by ``-`` or ``_`` and up to 4 more letters or digits: ``P017``, ``PF0042``,
``HOME12-B``. Anything else is refused with a reason, and what looks like a person's name or
a date of birth is named as such, so ``--patient "Jane Doe 1980-01-02"`` never reaches a file.
An empty code means "no code". Plain functions, no I/O.
"""

from __future__ import annotations

import datetime
import re

from biofeedback.formats.errors import UserError

PATTERN = re.compile(r"^[A-Za-z]{1,4}[0-9]{1,8}(?:[-_][A-Za-z0-9]{1,4})?$")
EXAMPLE = "P017"
_DATE_TEXT = re.compile(
    r"\d{4}[-./]\d{1,2}[-./]\d{1,2}"  # 1980-01-02
    r"|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}"  # 02.01.1980, 1/2/80
)
_DIGIT_RUN = re.compile(r"\d{6,8}")


class PatientCodeError(UserError, ValueError):
    """The text is not a pseudonymous patient code; the message says why and what to use."""


def _looks_like_date(digits: str) -> bool:
    """``19800102``, ``02011980``, ``800102`` or ``020180`` as a plausible calendar date."""
    forms = {8: ("%Y%m%d", "%d%m%Y", "%m%d%Y"), 6: ("%y%m%d", "%d%m%y", "%m%d%y")}
    for fmt in forms.get(len(digits), ()):
        try:
            day = datetime.datetime.strptime(digits, fmt).date()
        except ValueError:
            continue
        if 1900 <= day.year <= datetime.date.today().year:
            return True
    return False


def patient_code_problem(text: str) -> str | None:
    """Why ``text`` is not an acceptable patient code, or None when it is (or is empty)."""
    code = text.strip()
    if not code:
        return None
    if _DATE_TEXT.search(code) or any(_looks_like_date(m) for m in _DIGIT_RUN.findall(code)):
        return (f"{code!r} looks like it holds a date (of birth?); use a pseudonymous code "
                f"such as {EXAMPLE}")
    if re.search(r"\s", code) or (len(code) > 1 and
                                          re.fullmatch(r"[^\W\d_]+([ ,.'-][^\W\d_]+)*", code)):
        return (f"{code!r} looks like a name; use a pseudonymous code such as {EXAMPLE} "
                "(letters, then digits)")
    if "@" in code:
        return f"{code!r} looks like an e-mail address; use a pseudonymous code such as {EXAMPLE}"
    if not PATTERN.fullmatch(code):
        return (f"{code!r} is not a patient code: use 1-4 letters then 1-8 digits, optionally "
                f"-XXXX (e.g. {EXAMPLE}, PF0042, HOME12-B)")
    return None


def check_patient_code(text: str) -> str:
    """The code, stripped, if acceptable; else :class:`PatientCodeError` with the reason."""
    problem = patient_code_problem(text)
    if problem:
        raise PatientCodeError(problem)
    return text.strip()
