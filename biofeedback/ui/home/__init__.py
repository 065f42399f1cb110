"""Home mode: the patient's own window (``biofeedback run --home``).

A calm start page (today's practice, one big Start button, progress), the safety screening,
progress with a practice calendar, programme import, the bundle for the clinician, and
reminders. The model is Qt-free (``app/home.py``); practice runs on the same guided-session
runner and patient view as in the clinic (``ui/home/practice.py``).
"""
