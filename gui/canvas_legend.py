"""What the canvas draws under the network: the colour legend (its bar, numbers, title and
note), kept as an image while it is unchanged, and, once training has stopped, the banner that
says why."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen

from sim import palette
from sim.events import Event

from .canvas_kept import KeptDrawing
from .canvas_text import Texts
from .style import Style

# The colour legend, bottom left: its bar this far above the bottom and this high; its
# numbers above the bar, and above them the note of whose numbers are drawn.
LEGEND_BAR_BOTTOM, LEGEND_BAR_HEIGHT = 20, 14
LEGEND_TICK_GAP, LEGEND_NOTE_GAP = 2, 24  # from the bar's top to the numbers' and note's foot
LEGEND_LEFT, LEGEND_BAR_WIDTH, LEGEND_TITLE_GAP = 14, 260, 12  # the bar's start and width
BANNER_GAP = 6  # between the stop banner and the legend under it


def legend_band(style: Style, texts: Texts, note_lines: int, canvas_width: float) -> float:
    """How high the colour legend reaches from the bottom of a canvas ``canvas_width`` wide:
    its bar, its numbers, its title if that goes under the bar, and its note of
    ``note_lines`` lines (whose numbers are drawn), if any."""
    above = LEGEND_NOTE_GAP if note_lines else LEGEND_TICK_GAP
    under = 0.0 if title_beside(style, texts, canvas_width) else _title_line(style, texts)
    return (LEGEND_BAR_BOTTOM + LEGEND_BAR_HEIGHT + above) * style.scale + under + \
        texts.metrics(style.small_font).height() * max(1, note_lines)


def title_beside(style: Style, texts: Texts, canvas_width: float) -> bool:
    """Whether the title fits beside the bar on a canvas this wide, whatever the mode and
    scale; if not, it goes under the bar, which then may take the canvas's width (beside a
    slide's caption a bar of 40 % of the canvas crammed its numbers, the title over them).
    Decided by the widest title, so that the network does not move when the title changes."""
    bar = min(LEGEND_BAR_WIDTH * style.scale, canvas_width * 0.4)
    return (LEGEND_LEFT + LEGEND_TITLE_GAP) * style.scale + bar + \
        _widest_title(texts, style.label_font) <= canvas_width - 2


_WIDEST_TITLES: dict[str, float] = {}  # by the font's key: a paint asks several times


def _widest_title(texts: Texts, font: QFont) -> float:
    """How wide the widest title is in ``font``: any mode's, on a log scale, fixed."""
    key = texts.font_key(font)
    if key not in _WIDEST_TITLES:
        metrics = texts.metrics(font)
        note = palette.scale_note(palette.Scale("log", 1.0), fixed=True)
        _WIDEST_TITLES[key] = max(metrics.horizontalAdvance(title + note)
                                  for title in palette.MODE_TITLES.values())
    return _WIDEST_TITLES[key]


def _title_line(style: Style, texts: Texts) -> float:
    """The height the title takes under the bar."""
    return texts.metrics(style.label_font).height() + LEGEND_TICK_GAP * style.scale


class Legend:
    """The colour legend, kept as an image while everything it shows is the same (canvas_kept:
    the canvas's size and style, the scale, ramp, title and notes): the scale follows the
    values on show rounded up, so that it changes seldom while training runs."""

    def __init__(self) -> None:
        self._kept = KeptDrawing()

    def paint(self, painter: QPainter, style: Style, texts: Texts, size: QSize,
              scale: palette.Scale, ramp: np.ndarray, mode: str, fixed: bool, nan: bool,
              note: tuple[str, ...], device_pixel_ratio: float) -> None:
        """As `paint_legend`, from the kept image where it is unchanged."""
        def bounds() -> QRectF:  # from above the highest text (the note, or NaN's) down
            top = size.height() - legend_band(style, texts, len(note), size.width()) - \
                texts.metrics(style.label_font).height()
            return QRectF(0, top, size.width(), size.height() - top)

        self._kept.paint(painter, (style, size, scale, ramp.tobytes(), mode, fixed, nan, note),
                         bounds,
                         device_pixel_ratio, lambda on: paint_legend(
                             on, style, texts, size, scale, ramp, mode, fixed, nan, note))


def paint_legend(painter: QPainter, style: Style, texts: Texts, size: QSize,
                 scale: palette.Scale, ramp: np.ndarray, mode: str, fixed: bool, nan: bool,
                 note: tuple[str, ...]) -> None:
    """The colour bar of ``ramp`` with its numbers and title (what colour mode ``mode``
    shows, and the scale: logarithmic, ``fixed``), bottom left of a canvas of ``size``; the
    NaN line if ``nan``; the note's lines above it, if any."""
    st = style
    canvas_width = size.width()
    beside = title_beside(st, texts, canvas_width)
    width = min(LEGEND_BAR_WIDTH * st.scale, canvas_width * 0.4 if beside else
                canvas_width - 2 * LEGEND_LEFT * st.scale)
    height = LEGEND_BAR_HEIGHT * st.scale
    x = left = LEGEND_LEFT * st.scale
    y = size.height() - (LEGEND_BAR_BOTTOM + LEGEND_BAR_HEIGHT) * st.scale - (
        0.0 if beside else _title_line(st, texts))
    if scale.kind == "log":  # a grey box for "zero" (below TINY) left of the ramp
        box = 2.0 * height
        painter.fillRect(QRectF(x, y, box, height), QColor(*palette.ZERO_COLOUR))
        texts.draw(painter, canvas_width, QPointF(x + box / 2, y + height / 2), "0",
                   st.small_font, QColor(*palette.ZERO_INK), centred=True)
        x += box + 14 * st.scale
        width -= box + 14 * st.scale
    step = width / len(ramp)
    for k, rgb in enumerate(ramp):
        painter.fillRect(QRectF(x + k * step, y, step + 0.5, height), QColor(*rgb.tolist()))
    painter.setPen(QPen(st.muted, 1.0))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(QRectF(x, y, width, height))
    ticks = palette.legend_ticks(scale)
    metrics = texts.metrics(st.small_font)
    widest = max(metrics.horizontalAdvance(label) for _, label in ticks)
    if widest * len(ticks) > width * 0.9:  # long numbers (1.5e+40): the ends and the middle
        ticks = [ticks[0], ticks[len(ticks) // 2], ticks[-1]]
    for position, label in ticks:
        texts.draw(painter, canvas_width,
                   QPointF(x + position * width, y - LEGEND_TICK_GAP * st.scale), label,
                   st.small_font, st.foreground, centred=True, above=True)
    nan_text = "magenta: NaN (not a number) or infinite"
    name = palette.MODE_TITLES[mode]
    title = name + palette.scale_note(scale, fixed)
    if beside:
        texts.draw(painter, canvas_width, QPointF(x + width + LEGEND_TITLE_GAP * st.scale,
                                                  y + height / 2), title,
                   st.label_font, st.foreground)
        if nan:
            texts.draw(painter, canvas_width, QPointF(x + width + LEGEND_TITLE_GAP * st.scale,
                                                      y - 14 * st.scale),
                       nan_text, st.small_font, QColor(*palette.NAN_COLOUR))
    else:  # under the bar; NaN after the title, in the room its scale note leaves
        under = QPointF(left, y + height + LEGEND_TICK_GAP * st.scale)
        if nan:
            title = name
            nan_at = under + QPointF(texts.metrics(st.label_font).horizontalAdvance(title)
                                     + LEGEND_TITLE_GAP * st.scale, 0.0)
            texts.draw(painter, canvas_width, nan_at, nan_text, st.small_font,
                       QColor(*palette.NAN_COLOUR), below=True)
        texts.draw(painter, canvas_width, under, title, st.label_font, st.foreground,
                   below=True)
    line = texts.metrics(st.small_font).height()
    for above, text in enumerate(reversed(note)):  # whose numbers nodes and edges show
        texts.draw(painter, canvas_width, QPointF(x, y - LEGEND_NOTE_GAP * st.scale
                                                  - above * line), text,
                   st.small_font, st.muted, above=True)


def stop_banner_rect(style: Style, texts: Texts, size: QSize, band: float,
                     message: str) -> QRectF:
    """Where the reason training stopped is drawn on a canvas of ``size``: across it, above
    the legend's ``band``, as high as the wrapped message needs."""
    width = size.width() - 24 * style.scale
    needed = texts.metrics(style.label_font).boundingRect(
        QRectF(0, 0, width - 20, 10000), Qt.TextFlag.TextWordWrap, message)
    height = needed.height() + 10
    top = size.height() - band - BANNER_GAP * style.scale - height
    return QRectF(12 * style.scale, top, width, height)


def paint_stop_banner(painter: QPainter, style: Style, rect: QRectF, event: Event) -> None:
    """Why training stopped, in ``rect`` (see `stop_banner_rect`)."""
    colour = style.danger if event.kind == "diverged" else style.muted
    painter.setPen(QPen(colour, 1.0))
    painter.setBrush(_tint(style.background, colour, 0.12))  # opaque: readable
    painter.drawRoundedRect(rect, 6, 6)
    painter.setPen(colour)
    painter.setFont(style.label_font)
    painter.drawText(rect.adjusted(10, 4, -10, -4), Qt.TextFlag.TextWordWrap, event.message)


def _tint(background: QColor, colour: QColor, amount: float) -> QColor:
    """``background`` moved ``amount`` of the way towards ``colour``, fully opaque."""
    def mix(b: int, c: int) -> int:
        return round(b + (c - b) * amount)
    return QColor(mix(background.red(), colour.red()), mix(background.green(), colour.green()),
                  mix(background.blue(), colour.blue()))
