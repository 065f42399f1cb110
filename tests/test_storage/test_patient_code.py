"""Issue 15 #18: only pseudonymous patient codes; names and dates of birth are refused."""

from __future__ import annotations

import pytest

from biofeedback.storage.patient_code import (
    PatientCodeError,
    check_patient_code,
    patient_code_problem,
)


@pytest.mark.parametrize("code", ["P017", "PF0042", "HOME12-B", "p1", "X12345678", " P9 ", ""])
def test_pseudonymous_codes_pass(code):
    assert patient_code_problem(code) is None
    assert check_patient_code(code) == code.strip()


@pytest.mark.parametrize("text,reason", [
    ("Jane Doe 1980-01-02", "date"),
    ("1980-01-02", "date"),
    ("02.01.1980", "date"),
    ("P19800102", "date"),
    ("P020180", "date"),
    ("Jane Doe", "name"),
    ("Doe", "name"),
    ("Müller", "name"),
    ("O'Brien", "name"),
    ("jane@example.org", "e-mail"),
    ("123", "not a patient code"),
    ("P-", "not a patient code"),
    ("P017/../../x", "not a patient code"),
])
def test_names_dates_and_junk_are_refused_with_the_reason(text, reason):
    problem = patient_code_problem(text)
    assert problem is not None and reason in problem and "P017" in problem
    with pytest.raises(PatientCodeError, match=reason):
        check_patient_code(text)
