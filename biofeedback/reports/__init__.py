"""Reports for the care team, from the records (plain Python; no Qt, no app layer).

* :mod:`.data` — :func:`collect`: everything a report shows, from a repository;
* :mod:`.definitions` — what each metric means (mirrors ``docs/sessions.md``);
* :mod:`.charts` — trend charts drawn with reportlab's own graphics;
* :mod:`.pdf` — :func:`write_report`: the PDF (reportlab), written atomically, 0600;
* :mod:`.cbt_section` — the CBT and partner section, only with the patient's consent.
"""
