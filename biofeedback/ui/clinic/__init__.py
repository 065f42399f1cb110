"""Clinic mode (the therapist's view of the records): patient list, patient page with session
history, trend charts, notes, the cotton-swab map and the PDF report preview.

One module per widget; all data comes from the Qt-free :class:`~biofeedback.app.clinic.
ClinicModel`. :mod:`.link` attaches the clinic window to the main window ("Patients…",
Ctrl+P) and stores the guided sessions run there for the chosen patient.
"""
