"""The chain-rule box the canvas shows in presentation mode (the inspector is hidden then):
the selected weight's or bias's chain rule for this step, in the corner where it hides the
fewest nodes."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize
from PySide6.QtGui import QPainter, QPen, QTextDocument

from sim import notation as name

from .canvas_geometry import Geometry
from .style import Style


def draw(painter: QPainter, style: Style, lines: list[str], size: QSize,
         geometry: Geometry) -> QRectF | None:
    """The box of ``lines`` (the first in bold) on a canvas of ``size``; returns where it
    went (None: no lines, no box)."""
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
    box = document.size()
    margin = 10 * st.scale
    top = 44 * st.scale
    corners = [QRectF(size.width() - box.width() - margin, top, box.width(), box.height()),
               QRectF(margin, top, box.width(), box.height()),
               QRectF(size.width() - box.width() - margin,
                      size.height() - box.height() - 60 * st.scale, box.width(),
                      box.height())]
    centres = [QPointF(x, y) for points in geometry.nodes for x, y in points.tolist()]
    rect = min(corners, key=lambda corner: sum(corner.contains(c) for c in centres))
    painter.setPen(QPen(st.accent, max(1.0, st.line_width)))
    painter.setBrush(st.label_box)
    painter.drawRoundedRect(rect, 6, 6)
    painter.save()
    painter.translate(rect.topLeft())
    document.drawContents(painter)
    painter.restore()
    return rect
