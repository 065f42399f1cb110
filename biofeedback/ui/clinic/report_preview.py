"""The PDF report, previewed before it is saved.

The report is built in memory (``ClinicModel.report_pdf``: the same ``reports/pdf.py`` as
``biofeedback report``), loaded into Qt's PDF module (``QPdfDocument`` from a ``QBuffer``) and
each page rendered to an image, shown one below the other. Rendering is synchronous, so what is
on screen is exactly the file that **Save…** writes (atomically, mode 0600). "Print the name"
rebuilds it with the patient's name (off by default: the code only).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt
from PyQt6.QtGui import QImage, QPainter, QPixmap
from PyQt6.QtPdf import QPdfDocument
from PyQt6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from biofeedback.storage.records import RecordsError

PAGE_WIDTH = 640  # px per previewed page


class PdfPages:
    """A PDF in memory, page by page as images (Qt's PDF renderer)."""

    def __init__(self, pdf: bytes) -> None:
        self.buffer = QBuffer()
        self.buffer.setData(QByteArray(pdf))
        self.buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.doc = QPdfDocument(None)
        self.doc.load(self.buffer)
        if self.doc.status() is not QPdfDocument.Status.Ready:
            raise RecordsError(f"the report could not be shown ({self.doc.error().name})")

    @property
    def count(self) -> int:
        return self.doc.pageCount()

    def render(self, page: int, width: int = PAGE_WIDTH) -> QImage:
        size = self.doc.pagePointSize(page)
        height = round(width * size.height() / size.width()) if size.width() else width
        image = self.doc.render(page, QSize(width, height))
        # the renderer leaves the paper transparent: lay it on white, as it prints
        paper = QImage(image.size(), QImage.Format.Format_RGB32)
        paper.fill(Qt.GlobalColor.white)
        painter = QPainter(paper)
        painter.drawImage(0, 0, image)
        painter.end()
        return paper

    def close(self) -> None:
        self.doc.close()
        self.buffer.close()


class ReportPreview(QDialog):
    """``build(include_name) -> bytes`` makes the report; ``save(pdf, path)`` writes it."""

    def __init__(self, code: str, build: Callable[[bool], bytes],
                 save: Callable[[bytes, Path], Path], parent: QWidget | None = None, *,
                 has_name: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Report for {code}: preview")
        self.code = code
        self._build, self._save = build, save
        self.pdf = b""
        self.pages: PdfPages | None = None
        self.page_labels: list[QLabel] = []
        self.saved_to: Path | None = None
        self.info = QLabel("")
        self.info.setWordWrap(True)
        self.name_box = QCheckBox("Print the name too")
        self.name_box.setToolTip("Off: the report names the patient by code only")
        self.name_box.setVisible(has_name)
        self.name_box.toggled.connect(lambda _on: self.rebuild())
        self.save_button = QPushButton("Save…")
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(lambda: self.save_as(None))
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        self.column = QVBoxLayout()
        self.column.setSpacing(12)
        holder = QWidget()
        holder.setLayout(self.column)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(holder)
        top = QHBoxLayout()
        top.addWidget(self.info, 1)
        top.addWidget(self.name_box)
        top.addWidget(self.save_button)
        top.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.scroll, 1)
        self.resize(PAGE_WIDTH + 80, 560)
        self.rebuild()

    def rebuild(self) -> None:
        """Build the report again and render every page."""
        try:
            self.pdf = self._build(self.name_box.isChecked())
            pages = PdfPages(self.pdf)
        except RecordsError as exc:
            self.info.setText(f"The report could not be made: {exc}")
            self.save_button.setEnabled(False)
            return
        if self.pages is not None:
            self.pages.close()
        self.pages = pages
        for label in self.page_labels:
            label.setParent(None)
            label.deleteLater()
        self.page_labels = []
        for i in range(pages.count):
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(pages.render(i)))
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            label.setStyleSheet("background: #9AA0A8; padding: 6px;")
            self.column.addWidget(label)
            self.page_labels.append(label)
        self.info.setText(f"{pages.count} page(s). This is the file that will be saved.")
        self.save_button.setEnabled(True)

    def save_as(self, path: Path | None) -> Path | None:
        """Save the previewed file (``path`` None: ask where)."""
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(self, "Save the report",
                                                    f"{self.code}-report.pdf", "PDF (*.pdf)")
            if not chosen:
                return None
            path = Path(chosen)
        try:
            self.saved_to = self._save(self.pdf, path)
        except RecordsError as exc:
            self.info.setText(f"Not saved: {exc}")
            return None
        self.info.setText(f"Saved: {self.saved_to}")
        return self.saved_to

    def done(self, result: int) -> None:
        if self.pages is not None:
            self.pages.close()
            self.pages = None
        super().done(result)


__all__ = ["PdfPages", "ReportPreview"]
