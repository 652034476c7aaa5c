"""The chain-rule box the canvas shows in presentation mode (the inspector is hidden then):
the selected weight's or bias's chain rule for this step, where it covers least of what it
explains: first none of the units it multiplies, then as few nodes as it can, then not the
colour legend (the numbers on the edges keep off it: it is an obstacle to them)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QPainter, QPen, QTextDocument

from sim import notation as name

from .style import Style


def layout(style: Style, lines: list[str], size: QSize) -> QTextDocument | None:
    """The box's text laid out (the first line in bold), at most 0.6 of the canvas wide;
    None: no lines, no box."""
    if not lines:
        return None
    st = style
    document = QTextDocument()
    document.setDocumentMargin(8 * st.scale)
    document.setDefaultFont(st.small_font)
    document.setHtml(f"<div style='color:{st.foreground.name()}'><b>"
                     f"{name.rich(lines[0])}</b><br>"
                     + "<br>".join(name.rich(line) for line in lines[1:]) + "</div>")
    document.setTextWidth(min(document.idealWidth() + 2 * document.documentMargin(),
                              size.width() * 0.6))
    return document


def place(document: QTextDocument, style: Style, size: QSize, top: float,
          keep_clear: list[list[QRectF]]) -> QRectF:
    """Where the box goes on a canvas of ``size``, below ``top`` (the headers): of the spots
    at its corners, the middles of its sides and its centre, the one that covers fewest of
    ``keep_clear[0]`` (what matters most), then of ``keep_clear[1]``, and so on; among equals,
    the first of top right, top left, bottom right, bottom left, ..."""
    box = document.size()
    margin = 10 * style.scale
    width, height = box.width(), box.height()
    xs = [size.width() - width - margin, margin, (size.width() - width) / 2]
    low = max(top, size.height() - height - margin)
    ys = [top, low, max(top, (top + low) / 2)]
    spots = [QRectF(x, y, width, height) for y in ys[:2] for x in xs[:2]] + \
        [QRectF(x, y, width, height) for y in ys for x in xs
         if not (x in xs[:2] and y in ys[:2])]
    return min(spots, key=lambda spot: [sum(spot.intersects(rect) for rect in tier)
                                        for tier in keep_clear])


def draw(painter: QPainter, style: Style, document: QTextDocument, rect: QRectF) -> None:
    painter.setPen(QPen(style.accent, max(1.0, style.line_width)))
    painter.setBrush(style.background)  # opaque: what it covers must not show through
    painter.drawRoundedRect(rect, 6, 6)
    painter.setBrush(style.label_box)
    painter.drawRoundedRect(rect, 6, 6)
    painter.save()
    painter.translate(rect.topLeft())
    document.drawContents(painter)
    painter.restore()
