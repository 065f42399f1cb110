"""CBT and partner-support views, each a self-contained QWidget on a Qt-free model of
``app/cbt.py`` (the clinic and home windows embed them):

* :class:`~.hierarchy.HierarchyEditor` — the exposure ladder, practice and re-rating;
* :class:`~.thoughts.ThoughtRecordForm` — the thought record and its history;
* :class:`~.partner.PartnerChecklist` — partner steps agreed and ticked off together;
* :class:`~.common.ConsentToggle` — whether these pages go into the care team's report.

Every view shows its explanation (clinical.md §6) and any problem as one calm line.
"""

from biofeedback.ui.cbt.common import ConsentToggle
from biofeedback.ui.cbt.hierarchy import HierarchyEditor
from biofeedback.ui.cbt.partner import PartnerChecklist
from biofeedback.ui.cbt.thoughts import ThoughtRecordForm

__all__ = ["ConsentToggle", "HierarchyEditor", "PartnerChecklist", "ThoughtRecordForm"]
