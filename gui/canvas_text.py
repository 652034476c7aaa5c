"""The canvas's text: font metrics and rich-text layouts made once and kept, and text drawn
anchored at a point, never cut off at the canvas's edges."""

from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QTextDocument

from sim import notation as name

RICH_TEXTS_KEPT = 4000  # laid-out texts kept before the cache starts afresh (many steps' labels)


class Texts:
    """Font metrics by font and laid-out rich texts by (text, font, colour), kept between
    paints; text drawn inside a canvas of a given width."""

    def __init__(self) -> None:
        self._font_metrics: dict[str, QFontMetricsF] = {}
        self._rich_texts: dict[tuple[str, str, int], QTextDocument] = {}  # see named
        # QFont.key() costs more than the look-up it serves; a style's fonts are made once
        # (gui.style), so each font object's key is kept (with the font, so its id stays its)
        self._font_keys: dict[int, tuple[QFont, str]] = {}

    def font_key(self, font: QFont) -> str:
        known = self._font_keys.get(id(font))
        if known is None or known[0] is not font:
            known = self._font_keys[id(font)] = (font, font.key())
        return known[1]

    def metrics(self, font: QFont) -> QFontMetricsF:
        key = self.font_key(font)
        metrics = self._font_metrics.get(key)
        if metrics is None:
            metrics = self._font_metrics[key] = QFontMetricsF(font)
        return metrics

    def named(self, text: str, font: QFont, colour: QColor) -> QTextDocument:
        """Text holding names, laid out once as rich text (sim.notation.rich) on one line: the
        layer and the units as real super- and subscripts, larger than the Unicode forms."""
        key = (text, self.font_key(font), colour.rgba())
        laid_out = self._rich_texts.get(key)
        if laid_out is None:
            if len(self._rich_texts) > RICH_TEXTS_KEPT:
                self._rich_texts.clear()
            laid_out = QTextDocument()
            laid_out.setDocumentMargin(0.0)
            laid_out.setDefaultFont(font)
            laid_out.setHtml(f"<span style='color:{colour.name()}; white-space:pre'>"
                             f"{name.rich(text)}</span>")
            self._rich_texts[key] = laid_out
        return laid_out

    def draw_named(self, painter: QPainter, canvas_width: float, at: QPointF, text: str,
                   font: QFont, colour: QColor, centred: bool = False) -> None:
        """Text with names in it (see named), vertically centred on a point; centred on it
        or starting at it."""
        laid_out = self.named(text, font, colour)
        size = laid_out.size()
        width, height = size.width(), size.height()
        x = at.x() - (width / 2 if centred else 0.0)
        x = min(max(x, 2.0), canvas_width - width - 2.0)  # never cut off at the canvas edge
        top = at.y() - height / 2
        painter.save()
        painter.translate(x, top)
        laid_out.drawContents(painter)
        painter.restore()

    def draw(self, painter: QPainter, canvas_width: float, at: QPointF, text: str, font: QFont,
             colour: QColor, centred: bool = False, right: bool = False, below: bool = False,
             above: bool = False) -> None:
        """Text anchored at a point: centred, right-aligned or left-aligned; above, below or
        vertically centred on it."""
        metrics = self.metrics(font)
        width, height = metrics.horizontalAdvance(text), metrics.height()
        x = at.x() - (width / 2 if centred else width if right else 0.0)
        x = min(max(x, 2.0), canvas_width - width - 2.0)  # never cut off at the canvas edge
        top = at.y() - (0.0 if below else height if above else height / 2)
        painter.setFont(font)
        painter.setPen(colour)
        painter.drawText(QPointF(x, top + metrics.ascent()), text)
