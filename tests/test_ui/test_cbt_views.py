"""The CBT views on real widgets (offscreen) over a real records file: the hierarchy editor
adds, re-rates and reorders steps; the thought record form saves and lists; the partner
checklist is agreed and ticked off; the consent toggle sets the report consent. Refused input
is one calm line and nothing is stored."""

from __future__ import annotations

from PyQt6.QtCore import Qt

from biofeedback.app.cbt import EXPLANATIONS, cbt_models
from biofeedback.ui.cbt import ConsentToggle, HierarchyEditor, PartnerChecklist, ThoughtRecordForm


def _models(repo):
    repo.add_patient("P001")
    return cbt_models(repo, "P001")


def _texts(widget) -> str:
    from PyQt6.QtWidgets import QLabel

    return " ".join(label.text() for label in widget.findChildren(QLabel))


def _add_step(view: HierarchyEditor, text: str, anxiety: int, expect: str = "") -> None:
    view.step_text.setCurrentText(text)
    view.step_anxiety.setValue(anxiety)
    view.step_expect.setText(expect)
    view.add_button.click()


def test_the_hierarchy_editor_adds_rates_and_orders_steps(qtbot, repo):
    m = _models(repo)
    view = HierarchyEditor(m.hierarchy)
    qtbot.addWidget(view)
    assert EXPLANATIONS["hierarchy"] in _texts(view)
    assert view.step_text.findText("Fingertip at the entrance") >= 0  # the usual ladder
    assert not view.save_practice.isEnabled()  # nothing chosen yet
    _add_step(view, "Smallest dilator, lying down", 60, "It will hurt")
    _add_step(view, "Mirror", 20)
    assert view.table.rowCount() == 2 and view.table.item(1, 1).text() == "Mirror"
    assert view.message.text() == "Step added." and view.step_text.currentText() == ""
    view.table.selectRow(0)
    assert "Not practised yet" in view.hint.text()
    view.before.setValue(55)
    view.after.setValue(35)
    view.pain.setValue(2)
    view.outcome.setText("Tight at first, then it eased")
    view.session_uid = None
    view.save_practice.click()
    (step, _) = repo.exposure_steps("P001")
    (p,) = step.practices
    assert (p.anxiety_before, p.anxiety_after, p.pain, p.outcome) == (
        55, 35, 2, "Tight at first, then it eased")
    assert view.table.item(0, 4).text() == "55" and view.table.item(0, 5).text() == "1×"
    assert "again" in view.hint.text() and view.selected().uid == step.uid
    assert view.pain.value() == view.pain.minimum()  # back to "not rated"
    view.rank.click()  # the mirror (20) is calmer than the dilator (now 55)
    assert [s.text for s in repo.exposure_steps("P001")] == ["Mirror", step.text]
    view.table.selectRow(1)
    view.up.click()
    assert repo.exposure_steps("P001")[0].uid == step.uid and view.selected().uid == step.uid
    _add_step(view, "   ", 30)  # refused: one line, nothing stored
    assert "needs some text" in view.message.text() and "\n" not in view.message.text()
    assert len(repo.exposure_steps("P001")) == 2


def test_the_thought_record_form_saves_and_lists(qtbot, repo):
    m = _models(repo)
    form = ThoughtRecordForm(m.thoughts)
    qtbot.addWidget(form)
    assert EXPLANATIONS["thoughts"] in _texts(form)
    with qtbot.waitSignal(form.saved) as sig:
        form.situation.setText("Before dilator practice")
        form.thought.setPlainText("It will tear")
        form.feeling.setCurrentText("afraid")
        form.intensity.setValue(80)
        form.balanced.setPlainText("It stretched last time and did not tear")
        form.rerating.setValue(35)
        form.save.click()
    assert sig.args[0] == repo.thoughts("P001")[0]
    assert (sig.args[0].intensity, sig.args[0].rerating) == (80, 35)
    assert form.history.count() == 1 and "“It will tear”  afraid 80 → 35" in \
        form.history.item(0).text()
    assert form.situation.text() == "" and form.rerating.value() == form.rerating.minimum()
    form.situation.setText("In bed")
    form.save.click()  # no thought written: refused calmly
    assert "a thought needs some text" in form.message.text()
    assert len(repo.thoughts("P001")) == 1 and form.history.count() == 1


def test_the_partner_checklist_is_agreed_and_ticked_off_together(qtbot, repo):
    m = _models(repo)
    view = PartnerChecklist(m.partner)
    qtbot.addWidget(view)
    assert "add the first one together" in view.progress.text()
    for text in ("Massage without genital touch", "Shower together"):
        view.new_text.setText(text)
        view.add_button.click()
    assert view.table.rowCount() == 2 and view.progress.text() == "0 of 2 done together, 0 agreed."
    with qtbot.waitSignal(view.changed):
        view.table.item(0, 1).setCheckState(Qt.CheckState.Checked)
    assert repo.partner_steps("P001")[0].agreed is not None
    view.table.item(1, 2).setCheckState(Qt.CheckState.Checked)  # done implies agreed
    second = repo.partner_steps("P001")[1]
    assert second.done is not None and second.agreed is not None
    assert view.table.item(1, 1).checkState() == Qt.CheckState.Checked
    assert view.progress.text() == "1 of 2 done together, 2 agreed."
    view.table.item(0, 3).setText("Sensate focus, stage 1")
    assert repo.partner_steps("P001")[0].notes == "Sensate focus, stage 1"
    view.table.item(1, 2).setCheckState(Qt.CheckState.Unchecked)
    assert repo.partner_steps("P001")[1].done is None and view.message.text() == \
        "Tick taken back."


def test_the_consent_toggle_is_off_by_default_and_sets_the_report_consent(qtbot, repo):
    m = _models(repo)
    toggle = ConsentToggle(m.consent)
    qtbot.addWidget(toggle)
    assert not toggle.box.isChecked() and EXPLANATIONS["consent"] in _texts(toggle)
    with qtbot.waitSignal(toggle.changed) as sig:
        toggle.box.setChecked(True)
    assert sig.args == [True] and repo.cbt_consent("P001").reports
    toggle.box.setChecked(False)
    assert not repo.cbt_consent("P001").reports and "stay private" in toggle.message.text()
