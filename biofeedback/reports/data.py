"""Everything a report shows, collected from the records (no file or PDF work here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from biofeedback.storage.records import Note, Patient, Repository, SessionRecord, SwabMap, utc_now
from biofeedback.storage.records.models_cbt import CbtConsent, CbtContent
from biofeedback.storage.records.progression import Attempt, Suggestion, attempts
from biofeedback.storage.records.trends import Trends, trends


@dataclass(frozen=True)
class ReportData:
    patient: Patient
    sessions: tuple[SessionRecord, ...]
    trends: Trends
    notes: tuple[Note, ...]
    swab_maps: tuple[SwabMap, ...]
    dilator: tuple[Attempt, ...]
    suggestion: Suggestion | None
    protocol_descriptions: Mapping[str, str] = field(default_factory=dict)
    include_name: bool = False  # the name is printed only when asked
    generated: dt.datetime = field(default_factory=utc_now)
    software: str = ""
    cbt: CbtContent | None = None  # only when the patient agreed (``cbt_consent.reports``)
    cbt_consent: CbtConsent | None = None

    @property
    def assessment(self) -> SessionRecord | None:
        """The latest assessment session (protocol name containing "assessment"), else the
        latest session."""
        chosen = [r for r in self.sessions if "assessment" in r.protocol]
        pool = chosen or list(self.sessions)
        return pool[-1] if pool else None


def collect(repo: Repository, code: str, *, suggestion: Suggestion | None = None,
            protocol_descriptions: Mapping[str, str] | None = None,
            include_name: bool = False, software: str = "") -> ReportData:
    patient = repo.get_patient(code)
    sessions = tuple(repo.sessions(patient.code))
    consent = repo.cbt_consent(patient.code)
    cbt = repo.cbt_content(patient.code) if consent.reports else None
    return ReportData(patient, sessions, trends(sessions), tuple(repo.notes(patient.code)),
                      tuple(repo.swab_maps(patient.code)), tuple(attempts(sessions)), suggestion,
                      dict(protocol_descriptions or {}), include_name, utc_now(), software, cbt,
                      consent)


__all__ = ["ReportData", "collect"]
