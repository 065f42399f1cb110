"""The audit log for the administrator: a read-only table (newest first) with patient and user
filters, over :class:`~biofeedback.app.audit.AuditModel` (which refuses anyone else)."""

from __future__ import annotations

from PyQt6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from biofeedback.app.accounts import ClinicUser
from biofeedback.app.audit import COLUMNS, AuditModel
from biofeedback.storage.records import RecordsError


class AuditView(QWidget):
    def __init__(self, user: ClinicUser, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = AuditModel(user)  # NotAllowedError for a therapist: never shown
        self.setWindowTitle("Audit log")
        self.patient = QLineEdit()
        self.patient.setPlaceholderText("patient code")
        self.actor = QLineEdit()
        self.actor.setPlaceholderText("user name")
        self.refresh = QPushButton("Show")
        self.refresh.clicked.connect(self.reload)
        self.patient.returnPressed.connect(self.reload)
        self.actor.returnPressed.connect(self.reload)
        self.status = QLabel("")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(len(COLUMNS) - 1,
                                                           QHeaderView.ResizeMode.Stretch)
        filters = QHBoxLayout()
        for w in (QLabel("Patient"), self.patient, QLabel("User"), self.actor, self.refresh):
            filters.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        self.reload()

    def reload(self) -> None:
        self.model.patient = self.patient.text().strip()
        self.model.actor = self.actor.text().strip().lower()
        try:
            self.model.load()
        except RecordsError as exc:
            self.status.setText(str(exc))
            return
        rows = self.model.rows()
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.status.setText(f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}"
                            + (f" (the newest {self.model.limit})"
                               if len(rows) >= self.model.limit else ""))


__all__ = ["AuditView"]
