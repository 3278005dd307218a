"""Showing untrusted remote text (display names, numbers, reasons) safely and legibly.

Rules for every widget that shows text from the network or the engine:

- labels use ``Qt.TextFormat.PlainText`` (``<b>Boss</b>`` shows as typed, never bold);
- tooltips go through ``plain_tooltip`` (Qt would guess rich text otherwise);
- long text is elided to the space available, the full text is in the tooltip;
- the paragraph direction comes from the text itself, so right-to-left names read right;
- when remote text is put inside our own sentence it is wrapped by ``isolate``.

Everything here runs on the GUI thread.
"""

from __future__ import annotations

import html
import unicodedata

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QTextOption
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

#: Widest a label asks to be, in average characters, however long its text.
MAX_HINT_CHARS = 40
_FIRST_STRONG_ISOLATE, _POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` literally (escaped rich text, whitespace kept)."""
    if not text:
        return ""
    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"


def isolate(text: str) -> str:
    """``text`` as a bidi isolate, so it cannot reorder the sentence around it."""
    return f"{_FIRST_STRONG_ISOLATE}{text}{_POP_DIRECTIONAL_ISOLATE}"


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters turned into spaces."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)


def text_direction(text: str) -> Qt.LayoutDirection:
    """Direction of the first strong character (Unicode's rule for a paragraph)."""
    for ch in text:
        bidi = unicodedata.bidirectional(ch)
        if bidi in ("R", "AL"):
            return Qt.LayoutDirection.RightToLeft
        if bidi == "L":
            return Qt.LayoutDirection.LeftToRight
    return Qt.LayoutDirection.LeftToRight


class ElidedLabel(QLabel):
    """A one-line plain-text label that elides instead of growing its window.

    ``text()`` stays the full, raw text; only the painting is shortened. The tooltip
    shows the full text, and the paragraph direction follows the text (RTL names are
    laid out right to left and start at the right edge).
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        """Show ``text`` (plain); the tooltip carries it in full."""
        super().setText(text)
        self.setToolTip(plain_tooltip(text))
        self.setAccessibleName(text)
        self.updateGeometry()

    def direction(self) -> Qt.LayoutDirection:
        """The paragraph direction the text is painted with."""
        return text_direction(self.text())

    def _visual_alignment(self, direction: Qt.LayoutDirection) -> Qt.AlignmentFlag:
        """The label's alignment read as leading/trailing of the text's own direction."""
        trailing = bool(self.alignment() & Qt.AlignmentFlag.AlignRight)
        rtl = direction == Qt.LayoutDirection.RightToLeft
        return Qt.AlignmentFlag.AlignRight if trailing != rtl else Qt.AlignmentFlag.AlignLeft

    def is_elided(self) -> bool:
        width = self.contentsRect().width()
        return self.fontMetrics().horizontalAdvance(one_line(self.text())) > width

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        full = metrics.horizontalAdvance(one_line(self.text()))
        cap = metrics.averageCharWidth() * MAX_HINT_CHARS
        margins = self.contentsMargins()
        width = min(full, cap) + margins.left() + margins.right() + 2
        return QSize(width, metrics.height() + margins.top() + margins.bottom())

    def minimumSizeHint(self) -> QSize:
        hint = self.sizeHint()
        return QSize(min(hint.width(), self.fontMetrics().averageCharWidth() * 4), hint.height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        rect = self.contentsRect()
        direction = self.direction()
        elided = self.fontMetrics().elidedText(
            one_line(self.text()), Qt.TextElideMode.ElideRight, rect.width()
        )
        horizontal = self._visual_alignment(direction)
        option = QTextOption(horizontal | Qt.AlignmentFlag.AlignAbsolute
                             | Qt.AlignmentFlag.AlignVCenter)
        option.setTextDirection(direction)
        option.setWrapMode(QTextOption.WrapMode.NoWrap)
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(QRectF(rect), elided, option)
        painter.end()
