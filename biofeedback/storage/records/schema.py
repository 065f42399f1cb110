"""The records schema as SQLAlchemy Core tables: one definition for SQLite and PostgreSQL.

Every table carries ``info={"since": N}``, the schema version whose migration creates it
(``migrations.py``). Types are the portable subset: integers, double-precision floats, booleans,
bounded strings and text; times are ISO-8601 UTC text and JSON objects are text, so both
backends store and return exactly the same values.

Rule for later versions: never change a table's ``since``; a version that adds a column to an
existing table adds it here with ``info={"since": N}`` and its migration issues the
``ALTER TABLE`` only where the column is missing (a table created from this module already has
it; an older database gets it from the migration).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

meta = Table(
    "records_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    info={"since": 1},
)

patients = Table(
    "patients", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", Text),
    Column("created", String(40), nullable=False),
    # version 3 (clinic server): bumped by every change; a stale writer gets ConflictError
    Column("version", Integer, nullable=False, server_default="1", info={"since": 4}),
    info={"since": 1},
)

sessions = Table(
    "sessions", metadata,
    Column("uid", String(64), primary_key=True),
    Column("patient_id", Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("protocol", String(200), nullable=False),
    Column("title", Text, nullable=False),
    Column("started", String(40), nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("ended", String(200), nullable=False),
    Column("summary_json", Text, nullable=False),
    Column("processing_json", Text, nullable=False),
    Column("recording_path", Text),
    Column("recording_sha256", String(64)),
    Column("origin", String(16), nullable=False),
    info={"since": 1},
)

steps = Table(
    "steps", metadata,
    Column("session_uid", String(64), ForeignKey("sessions.uid", ondelete="CASCADE"),
           primary_key=True),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("step", Text, nullable=False),
    Column("grp", Text, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("start_s", Float, nullable=False),
    Column("end_s", Float, nullable=False),
    Column("completed", Boolean, nullable=False),
    Column("metrics_json", Text, nullable=False),
    info={"since": 1},
)

ratings = Table(
    "ratings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_uid", String(64), ForeignKey("sessions.uid", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("scale", String(16), nullable=False),
    Column("value", Float, nullable=False),
    Column("at_s", Float, nullable=False),
    Column("label", Text, nullable=False),
    info={"since": 1},
)

# -- version 2: dilator log, clinician notes, cotton-swab maps, imported programmes -------------

dilator_log = Table(
    "dilator_log", metadata,
    Column("session_uid", String(64), ForeignKey("sessions.uid", ondelete="CASCADE"),
           primary_key=True),
    Column("size", Integer, nullable=False),
    Column("full_insertion", Boolean, nullable=False),
    Column("hold_s", Float, nullable=False),
    Column("pain_max", Float),
    Column("hold_mean_uv", Float),
    Column("baseline_uv", Float),
    info={"since": 2},
)

notes = Table(
    "notes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("session_uid", String(64), ForeignKey("sessions.uid", ondelete="CASCADE")),
    Column("created", String(40), nullable=False),
    Column("text", Text, nullable=False),
    Column("version", Integer, nullable=False, server_default="1", info={"since": 4}),
    Column("edited", String(40), info={"since": 4}),
    info={"since": 2},
)

swab_maps = Table(
    "swab_maps", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("session_uid", String(64), ForeignKey("sessions.uid", ondelete="CASCADE")),
    Column("taken", String(40), nullable=False),
    info={"since": 2},
)

swab_points = Table(
    "swab_points", metadata,
    Column("map_id", Integer, ForeignKey("swab_maps.id", ondelete="CASCADE"), primary_key=True),
    Column("clock", Integer, primary_key=True, autoincrement=False),
    Column("pain", Float, nullable=False),
    info={"since": 2},
)

programmes = Table(
    "programmes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("imported", String(40), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("body", Text, nullable=False),
    UniqueConstraint("patient_id", "sha256"),
    info={"since": 2},
)

# -- version 3: exposure hierarchy, thought records, partner steps, report consent ------------
# (clinical.md §6 "Graded exposure / CBT"; private: see docs/records.md "CBT and partner steps")

def _patient_content(name: str, *columns: Column) -> Table:
    """A version-3 table of one patient's private content: a local id, the uid that matches a
    row across exchanged copies, the patient it belongs to (deleted with them), ``columns``."""
    return Table(
        name, metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("uid", String(32), nullable=False, unique=True),
        Column("patient_id", Integer, ForeignKey("patients.id", ondelete="CASCADE"),
               nullable=False, index=True),
        *columns,
        info={"since": 3},
    )


exposure_steps = _patient_content(
    "exposure_steps",
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("expectation", Text),  # "what I expect to happen"
    Column("anxiety", Float, nullable=False),  # initial SUDS 0-100
    Column("created", String(40), nullable=False),
)

exposure_practice = Table(
    "exposure_practice", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uid", String(32), nullable=False, unique=True),
    Column("step_id", Integer, ForeignKey("exposure_steps.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("practised", String(40), nullable=False),
    Column("anxiety_before", Float, nullable=False),
    Column("anxiety_after", Float, nullable=False),
    Column("pain", Float),  # NRS 0-10, optional
    Column("outcome", Text),  # what actually happened (expectancy violation)
    Column("session_uid", String(64), ForeignKey("sessions.uid", ondelete="SET NULL")),
    info={"since": 3},
)

thought_records = _patient_content(
    "thought_records",
    Column("taken", String(40), nullable=False),
    Column("situation", Text, nullable=False),
    Column("thought", Text, nullable=False),
    Column("feeling", String(80), nullable=False),
    Column("intensity", Float, nullable=False),
    Column("balanced", Text),
    Column("rerating", Float),
)

partner_steps = _patient_content(
    "partner_steps",
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("agreed", String(40)),
    Column("done", String(40)),
    Column("notes", Text),
    Column("created", String(40), nullable=False),
)

cbt_consent = Table(
    "cbt_consent", metadata,
    Column("patient_id", Integer, ForeignKey("patients.id", ondelete="CASCADE"),
           primary_key=True, autoincrement=False),
    Column("reports", Boolean, nullable=False),
    Column("changed", String(40), nullable=False),
    info={"since": 3},
)


def tables_since(version: int) -> list[Table]:
    """The tables migration ``version`` creates, in dependency order."""
    return [t for t in metadata.sorted_tables if t.info["since"] == version]


__all__ = ["cbt_consent", "dilator_log", "exposure_practice", "exposure_steps", "meta",
           "metadata", "notes", "partner_steps", "patients", "programmes", "ratings", "sessions",
           "steps", "swab_maps", "swab_points", "tables_since", "thought_records"]
