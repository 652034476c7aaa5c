"""The recurrent network unrolled in time (`sim.unrolled`), and its gradient through time.

`UnrolledCanvas` draws one column per time step: the inputs xₜ at the bottom, the hidden units
hₜ above them (filled with the followed sample's values, orange negative, blue positive), the
recurrent weights as the edges from column t − 1 to column t and the output layer on h_T at the
right. Edges are coloured by the gradient each step contributes, on the log scale of the
dense canvas's gradient mode, so that the vanishing of the gradient back in time is a fading of
the edges to the left. For the LSTM a lane above the hidden units is the cell state: each
segment is as thick as the forget gate fₜ is large (its mean over the units), the factor the
cell state's gradient is multiplied by on the way back. Large networks are drawn one column a
step (level of detail). In a click-through the columns the forward pass has not reached are
faint, and the edges the backward pass has not reached are grey.

`TimeGradientPlot` plots ‖∂E/∂hₜ‖ (and the LSTM's ‖∂E/∂cₜ‖) against t on a log scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from sim import notation, palette
from sim.unrolled import UnrolledPicture, WalkPoint

from . import style
from .plots import DecadeAxis, wrapped

BACKGROUND = QColor(255, 255, 255)
INK = QColor(30, 30, 30)
FAINT_INK = QColor(160, 160, 160)
UNREACHED = QColor(225, 225, 225)  # an edge the backward pass has not reached yet
CELL_COLOUR = QColor(0, 158, 115)  # the cell-state lane (bluish green, Okabe & Ito)
MIN_NODE_RADIUS = 3.0  # below this, one column a step
HEADER_LINE = 18.0  # from one line of the title block to the next, at text ratio 1
LEGEND_WIDTH = 140.0  # the gradient colour bar's, at text ratio 1
OUTPUT_GAP = 60.0  # from the last column to the output layer


@dataclass(frozen=True)
class Layout:
    """Where the unrolled network's parts go at one size."""

    header: list[tuple[str, bool]]  # the title block's lines, each (text, bold)
    frame: QRectF  # where the columns go
    detailed: bool  # every unit and edge drawn (else one column a step)


class UnrolledCanvas(QWidget):
    """Paints an `UnrolledPicture`, as far as a click-through has revealed it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picture: UnrolledPicture | None = None
        self.point: WalkPoint | None = None  # None: the whole step is shown
        # Everything is drawn at this magnification (presentation mode): the layout is made
        # for a canvas this many times smaller, then painted scaled up.
        self.scale = 1.0
        # The text is this many times larger again, and the margins that hold it: type must
        # be read from the back of a hall where the columns need their room.
        self.text_ratio = 1.0
        self._laid_out: tuple[UnrolledPicture | None, tuple[object, ...], Layout] | None = None
        self.setMinimumSize(480, 320)

    def set_scale(self, scale: float, text_scale: float | None = None) -> None:
        """Draw at ``scale``, the text at ``text_scale`` (at least ``scale``; None: the same)."""
        self.scale = scale
        self.text_ratio = max(1.0, (text_scale or scale) / scale)
        self.update()

    def _font(self, points: float, bold: bool = False) -> QFont:
        return _font(points * self.text_ratio, bold)

    def logical_rect(self) -> QRectF:
        """The canvas as its layout sees it: its size divided by the scale."""
        return QRectF(0.0, 0.0, self.width() / self.scale, self.height() / self.scale)

    def set_picture(self, picture: UnrolledPicture | None, point: WalkPoint | None) -> None:
        self.picture, self.point = picture, point
        self.update()

    @property
    def detailed(self) -> bool:
        """Whether every unit and edge is drawn at the present size."""
        return self._layout().detailed

    # ------------------------------------------------------------------ geometry

    def _layout(self) -> Layout:
        """The title block and the frame, worked out once for each picture, point, size and
        scale (the painting asks for the frame at every node and edge)."""
        key = (self.point, self.width(), self.height(), self.scale, self.text_ratio)
        cached = self._laid_out
        if cached is None or cached[0] is not self.picture or cached[1] != key:
            cached = self._laid_out = (self.picture, key, self._lay_out())
        return cached[2]

    def _lay_out(self) -> Layout:
        """The title's and the description's lines; if the columns are too narrow or too
        low for every unit (judged with room for the line that says so), that line too."""
        lines = self._measure_title_and_description()
        picture = self.picture
        detailed = picture is not None and picture.detailed and self._node_radius(
            picture, self._frame_below(len(lines) + 1)) >= MIN_NODE_RADIUS
        if picture is not None and not detailed:
            lines.append(("one column a step (too many units or steps to draw each): its "
                          "colour strip holds the hidden units", False))
        return Layout(lines, self._frame_below(len(lines)), detailed)

    def _frame(self) -> QRectF:
        return self._layout().frame

    def _header(self) -> list[tuple[str, bool]]:
        """The title block's lines, each (text, bold)."""
        return self._layout().header

    def _frame_below(self, lines: int) -> QRectF:
        """Where the columns go: right of the row labels, left of the output layer and its
        labels, between a title block of ``lines`` lines and the time labels."""
        size = self.logical_rect()
        r = self.text_ratio
        left, right = 70.0 * r, OUTPUT_GAP + 18.0 + 112.0 * r
        top = (2.0 + HEADER_LINE * lines) * r + 32.0 * r
        bottom = 40.0 + 24.0 * r + 10.0  # the inputs' row, the time labels under it
        return QRectF(left, top, max(size.width() - left - right, 50.0),
                      max(size.height() - top - bottom, 50.0))

    def _measure_title_and_description(self) -> list[tuple[str, bool]]:
        """The title, then what the nodes and edges show, left of the legend: each on one
        line if it fits, else its parts on lines of their own, broken between words where a
        part is too long."""
        picture = self.picture
        if picture is None:
            return []
        cell = "LSTM" if picture.cell == "lstm" else "Elman"
        title = f"The {cell} network unrolled in time: {picture.steps} steps, " \
                f"{picture.hidden} hidden units"
        where = [] if self.point is None else [self.point.label(picture.steps)]
        nodes = f"nodes: sample {picture.sample + 1}'s values (orange negative, blue positive)"
        edges = "edges: |∂E/∂w| that each time step contributes, the batch's (log scale)"
        room = self.logical_rect().width() - 10.0 - LEGEND_WIDTH * self.text_ratio - 40.0
        return [(line, True) for line in self._fitted([title, *where], True, room)] + \
            [(line, False) for line in self._fitted([nodes, edges], False, room)]

    def _fitted(self, parts: list[str], bold: bool, room: float) -> list[str]:
        """``parts`` joined by " · " on one line if it fits in ``room``, else each on lines
        of its own."""
        metrics = QFontMetricsF(self._font(11 if bold else 9, bold))
        joined = " · ".join(parts)
        if metrics.horizontalAdvance(joined) <= room:
            return [joined]
        return [line for part in parts for line in wrapped(part, metrics, room)]

    def _column_x(self, t: int, picture: UnrolledPicture) -> float:
        frame = self._frame()
        return frame.left() + frame.width() * t / picture.steps

    def _unit_y(self, unit: int, count: int) -> float:
        frame = self._frame()
        top = frame.top() + self._lane_room()  # below the cell lane
        height = frame.height() - self._lane_room()
        return top + height * (unit + 0.5) / count

    def _input_y(self) -> float:
        return self._frame().bottom() + 40.0

    def _node_radius(self, picture: UnrolledPicture, frame: QRectF | None = None) -> float:
        frame = self._frame() if frame is None else frame
        spacing = frame.width() / picture.steps
        return min(12.0, spacing * 0.28,
                   (frame.height() - self._lane_room()) / picture.hidden * 0.35)

    def _lane_room(self) -> float:
        """Above the hidden units: the LSTM's cell-state lane, or a margin."""
        return 40.0 if self.picture is not None and self.picture.cell == "lstm" else 12.0

    # ------------------------------------------------------------------ painting

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), BACKGROUND)
        painter.scale(self.scale, self.scale)
        picture = self.picture
        if picture is None:
            painter.setPen(INK)
            painter.drawText(self.logical_rect(), Qt.AlignmentFlag.AlignCenter,
                             "Take a step to see the network unrolled in time")
            painter.end()
            return
        painter.setFont(self._font(10))
        self._paint_title(painter)
        if self.detailed:
            self._paint_edges(painter, picture)
            self._paint_nodes(painter, picture)
        else:
            self._paint_columns(painter, picture)
        if picture.cell == "lstm":
            self._paint_cell_lane(painter, picture)
        self._paint_output(painter, picture)
        self._paint_time_labels(painter, picture)
        self._paint_legend(painter, picture)
        painter.end()

    def _paint_title(self, painter: QPainter) -> None:
        painter.setPen(INK)
        for line, (text, bold) in enumerate(self._header()):
            painter.setFont(self._font(11 if bold else 9, bold))
            painter.drawText(QPointF(10.0, (20.0 + HEADER_LINE * line) * self.text_ratio), text)

    def _forward_reached(self, t: int, picture: UnrolledPicture) -> bool:
        return self.point is None or self.point.forward_reached(t, picture.steps)

    def _backward_reached(self, t: int) -> bool:
        return self.point is None or self.point.backward_reached(t)

    def _edge_pen(self, value: float, picture: UnrolledPicture, reached: bool,
                  width: float = 1.2) -> QPen:
        if not reached:
            return QPen(UNREACHED, 1.0)
        index = int(palette.bins(np.array([value]), picture.scale)[0])
        colour = QColor(*palette.colour("gradient", index))
        strength = palette.bin_strength(index, "gradient")
        return QPen(colour, width * (0.6 + 1.6 * strength))

    def _paint_edges(self, painter: QPainter, picture: UnrolledPicture) -> None:
        assert picture.recurrent_gradients is not None and picture.input_gradients is not None
        lines: list[tuple[float, QPointF, QPointF, bool]] = []
        x_in = self._input_y()
        for t in range(1, picture.steps + 1):
            reached = self._backward_reached(t)
            left, right = self._column_x(t - 1, picture), self._column_x(t, picture)
            if t > 1:  # h₀ = 0 sends nothing: its edges carry no gradient
                lines.extend((float(picture.recurrent_gradients[t, i, j]),
                              QPointF(left, self._unit_y(j, picture.hidden)),
                              QPointF(right, self._unit_y(i, picture.hidden)), reached)
                             for i in range(picture.hidden) for j in range(picture.hidden))
            for i in range(picture.hidden):
                for k in range(picture.inputs):
                    column = right + (k - (picture.inputs - 1) / 2) * 8.0
                    lines.append((float(picture.input_gradients[t, i, k]),
                                  QPointF(column, x_in),
                                  QPointF(right, self._unit_y(i, picture.hidden)), reached))
        lines.sort(key=lambda line: (line[3], line[0]))  # the strongest drawn last, on top
        for value, start, end, reached in lines:
            painter.setPen(self._edge_pen(value, picture, reached))
            painter.drawLine(start, end)

    def _paint_nodes(self, painter: QPainter, picture: UnrolledPicture) -> None:
        radius = self._node_radius(picture)
        high = max(1.0, float(np.max(np.abs(picture.h))))
        fills = palette.activation_colours(picture.h, high)
        inputs = palette.activation_colours(picture.x, max(1.0, float(np.max(np.abs(picture.x)))))
        for t in range(picture.steps + 1):
            x = self._column_x(t, picture)
            reached = t == 0 or self._forward_reached(t, picture)
            for unit in range(picture.hidden):
                fill = QColor(*fills[t, unit]) if reached else BACKGROUND
                painter.setPen(QPen(INK if reached else FAINT_INK, 1.0))
                painter.setBrush(fill)
                painter.drawEllipse(QPointF(x, self._unit_y(unit, picture.hidden)), radius,
                                    radius)
            if t == 0:
                continue
            for k in range(picture.inputs):
                column = x + (k - (picture.inputs - 1) / 2) * 8.0
                painter.setPen(QPen(INK, 1.0))
                painter.setBrush(QColor(*inputs[t, k]))
                painter.drawRect(QRectF(column - 3.5, self._input_y() - 3.5, 7.0, 7.0))

    def _paint_columns(self, painter: QPainter, picture: UnrolledPicture) -> None:
        """Level of detail: each step a strip of its units' colours (and of its inputs'),
        and under the strips a lane whose segment between t − 1 and t is coloured by the
        norm of step t's share of dE/dW_hh."""
        frame = self._frame()
        spacing = frame.width() / picture.steps
        width = max(1.5, spacing * 0.45)
        top, bottom = frame.top() + self._lane_room(), frame.bottom()
        lane = bottom + 16.0
        painter.setFont(self._font(8))
        painter.setPen(INK)
        painter.drawText(QPointF(8.0, lane + 4.0), "∂E/∂W_hh")
        high = max(1.0, float(np.max(np.abs(picture.h))))
        fills = palette.activation_colours(picture.h, high)
        inputs = palette.activation_colours(picture.x, max(1.0, float(np.max(np.abs(picture.x)))))
        band = (bottom - top) / picture.hidden
        for t in range(1, picture.steps + 1):
            x = self._column_x(t, picture)
            if t > 1:
                pen = self._edge_pen(float(picture.recurrent_norms[t]), picture,
                                     self._backward_reached(t), 3.0)
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
                painter.setPen(pen)
                painter.drawLine(QPointF(self._column_x(t - 1, picture), lane),
                                 QPointF(x, lane))
            painter.setPen(Qt.PenStyle.NoPen)
            for k in range(picture.inputs):
                painter.setBrush(QColor(*inputs[t, k]))
                painter.drawRect(QRectF(x - width / 2, self._input_y() - 5.0 + 10.0 * k /
                                        picture.inputs, width, 10.0 / picture.inputs))
            if not self._forward_reached(t, picture):
                painter.setPen(QPen(FAINT_INK, 1.0))
                painter.setBrush(BACKGROUND)
                painter.drawRect(QRectF(x - width / 2, top, width, bottom - top))
                continue
            for unit in range(picture.hidden):
                painter.setBrush(QColor(*fills[t, unit]))
                painter.drawRect(QRectF(x - width / 2, top + unit * band, width, band + 0.5))

    def _paint_cell_lane(self, painter: QPainter, picture: UnrolledPicture) -> None:
        """The cell state's path through time, each segment as thick as the mean forget gate
        fₜ (the factor ∂cₜ/∂cₜ₋₁ the gradient is multiplied by on it)."""
        assert picture.forget is not None
        y = self._frame().top() + 12.0
        painter.setFont(self._font(9))
        painter.setPen(INK)
        painter.drawText(QPointF(8.0, y + 4.0), "cell c")
        r = self.text_ratio
        spacing = self._frame().width() / picture.steps
        every = max(1, math.ceil(52.0 * r / spacing))  # a label needs about 52 pixels
        for t in range(1, picture.steps + 1):
            left, right = self._column_x(t - 1, picture), self._column_x(t, picture)
            if not self._forward_reached(t, picture):
                painter.setPen(QPen(FAINT_INK, 1.0, Qt.PenStyle.DashLine))
                painter.drawLine(QPointF(left, y), QPointF(right, y))
                continue
            mean_forget = float(np.mean(picture.forget[t]))
            painter.setPen(QPen(CELL_COLOUR, 1.0 + 9.0 * mean_forget,
                                c=Qt.PenCapStyle.FlatCap))
            painter.drawLine(QPointF(left, y), QPointF(right, y))
            if t % every == 0:
                painter.setPen(INK)
                painter.drawText(QPointF((left + right) / 2 - 20.0 * r, y - 9.0),
                                 f"f={notation.number(mean_forget, 2)}")

    def _paint_output(self, painter: QPainter, picture: UnrolledPicture) -> None:
        x_last = self._column_x(picture.steps, picture)
        x_out = self._frame().right() + OUTPUT_GAP
        reached = self._forward_reached(picture.steps, picture) and \
            (self.point is None or self.point.kind != "forward")
        detailed = self.detailed
        # dE/dW_out is the backward pass's first result
        gradient_reached = self.point is None or self.point.kind in ("backward", "clip",
                                                                     "update")
        for k in range(picture.outputs):
            y_out = self._unit_y(k, picture.outputs)
            for unit in range(picture.hidden) if detailed else ():
                painter.setPen(self._edge_pen(float(picture.output_gradients[k, unit]), picture,
                                              gradient_reached))
                painter.drawLine(QPointF(x_last, self._unit_y(unit, picture.hidden)),
                                 QPointF(x_out, y_out))
            painter.setPen(QPen(INK if reached else FAINT_INK, 1.0))
            fill = palette.activation_colours(picture.y[k:k + 1], 1.0)[0]
            painter.setBrush(QColor(*fill) if reached else BACKGROUND)
            painter.drawEllipse(QPointF(x_out, y_out), 13.0, 13.0)
            if reached:
                painter.setPen(INK)
                painter.setFont(self._font(9))
                line = QFontMetricsF(painter.font()).lineSpacing()
                painter.drawText(QPointF(x_out + 18.0, y_out - 2.0),
                                 f"y = {notation.number(float(picture.y[k]), 3)}")
                painter.drawText(QPointF(x_out + 18.0, y_out - 2.0 + line),
                                 f"target {notation.number(float(picture.target[k]), 3)}")

    def _paint_time_labels(self, painter: QPainter, picture: UnrolledPicture) -> None:
        r = self.text_ratio
        painter.setFont(self._font(9))
        painter.setPen(INK)
        frame = self._frame()
        y = self._input_y() + 24.0 * r
        painter.drawText(QPointF(8.0, self._input_y() + 4.0), "input x")
        painter.drawText(QPointF(8.0, (frame.top() + self._lane_room() + frame.bottom()) / 2),
                         "hidden h")
        spacing = frame.width() / picture.steps
        every = max(1, math.ceil(34.0 * r / spacing))
        for t in range(picture.steps + 1):
            if t == picture.steps or (t % every == 0 and picture.steps - t >= every):
                x = self._column_x(t, picture)
                painter.drawText(QPointF(x - 10.0 * r, y), f"t={t}")
        painter.drawText(QPointF(frame.right() + OUTPUT_GAP - 15.0 * r, y), "output")

    def _paint_legend(self, painter: QPainter, picture: UnrolledPicture) -> None:
        """The gradient colour bar, its decades labelled, at the top right, beside the title
        block."""
        r = self.text_ratio
        width = LEGEND_WIDTH * r
        left, top = self.logical_rect().width() - width - 30.0, 26.0 * r
        for index in range(palette.BINS):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(*palette.colour("gradient", index)))
            painter.drawRect(QRectF(left + width * index / palette.BINS, top,
                                    width / palette.BINS + 0.5, 10.0))
        painter.setPen(INK)
        painter.setFont(self._font(8))
        title = "|∂E/∂w| per step (log scale)"
        painter.drawText(QPointF(min(left, self.logical_rect().width() - 5.0 - QFontMetricsF(
            painter.font()).horizontalAdvance(title)), top - 4.0), title)
        for position, label in palette.legend_ticks(picture.scale):
            painter.drawText(QPointF(left + width * position - 10.0 * r, top + 10.0 + 14.0 * r),
                             label)


def _font(points: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(points)
    font.setBold(bold)
    return font


class TimeGradientPlot(pg.PlotWidget):
    """‖∂E/∂hₜ‖ over the batch against t, log scale (the LSTM's ‖∂E/∂cₜ‖ beside it)."""

    TITLE = "gradient through time, before clipping"
    AXIS_TITLES = (("bottom", "time step t"), ("left", "‖∂E/∂hₜ‖ (log scale)"))

    def __init__(self, parent: QWidget | None = None) -> None:
        # The plots' own axis: over many decades only powers of ten are labelled, uncrowded.
        super().__init__(parent, background="w", axisItems={"left": DecadeAxis("left")})
        self.setLogMode(x=False, y=True)
        ink = style.light_style().foreground
        self.title_points = 11.0
        self.note = ""  # under the title: the norms that are 0, which a log scale cannot show
        self._show_title()
        for axis, title in self.AXIS_TITLES:
            item = self.getAxis(axis)
            item.setTextPen(ink)
            item.setLabel(title, color=ink.name())
        self.getAxis("left").enableAutoSIPrefix(False)
        self.showGrid(x=True, y=True, alpha=0.3)
        self.legend = self.addLegend(offset=(10, 10))
        self.hidden_curve = self.plot([], [], pen=pg.mkPen(style.BLUE, width=2), symbol="o",
                                      symbolSize=5, symbolBrush=style.BLUE, name="‖∂E/∂hₜ‖")
        # named in the legend once an LSTM's norms come
        self.cell_curve = self.plot([], [], pen=pg.mkPen(style.GREEN, width=2,
                                                         style=Qt.PenStyle.DashLine))

    def set_scale(self, scale: float) -> None:
        """Text, curves and symbols this many times their size (presentation mode)."""
        font = QFont()
        font.setPointSizeF(9.0 * scale)
        ink = style.light_style().foreground.name()
        self.title_points = 11.0 * scale
        self._show_title()
        for axis, title in self.AXIS_TITLES:
            item = self.getAxis(axis)
            item.setTickFont(font)
            item.setLabel(title, color=ink, **{"font-size": f"{9.0 * scale:.1f}pt"})
        size = f"{9.0 * scale:.1f}pt"
        self.legend.setLabelTextSize(size)  # for entries added later; those there now:
        for _, label in self.legend.items:
            label.setText(label.text, size=size)
        self.hidden_curve.setPen(pg.mkPen(style.BLUE, width=2 * scale))
        self.hidden_curve.setSymbolSize(5 * scale)
        self.cell_curve.setPen(pg.mkPen(style.GREEN, width=2 * scale, style=Qt.PenStyle.DashLine))

    def set_norms(self, hidden: np.ndarray, cell: np.ndarray,
                  point: WalkPoint | None = None) -> None:
        """The norms for t = 1..T, those a click-through at ``point`` has reached (None: all);
        zeros (nothing to put on a log scale) are left out, and named under the title."""
        named = self.legend.getLabel(self.cell_curve) is not None
        if len(cell) and not named:
            self.legend.addItem(self.cell_curve, "‖∂E/∂cₜ‖ (cell state)")
        elif not len(cell) and named:  # an Elman network's, in the window an LSTM's was
            self.legend.removeItem(self.cell_curve)
        zeros: list[str] = []
        for curve, name, norms in ((self.hidden_curve, "‖∂E/∂hₜ‖", hidden),
                                   (self.cell_curve, "‖∂E/∂cₜ‖", cell)):
            steps = np.arange(1, len(norms) + 1)
            reached = np.array([point is None or point.backward_reached(int(t)) for t in steps],
                               dtype=bool)
            shown = reached & np.isfinite(norms) & (norms > 0.0)
            curve.setData(steps[shown], norms[shown])
            if np.any(reached & (norms == 0.0)):
                zeros.append(f"{name} is 0 at t = {runs_text(steps[reached & (norms == 0.0)])}")
        note = "; ".join(zeros) + ", not drawn: a log scale has no 0" if zeros else ""
        if note != self.note:
            self.note = note
            self._show_title()
        if len(hidden):  # every step has its place, drawn or not
            self.setXRange(0.5, len(hidden) + 0.5, padding=0.0)

    def _show_title(self) -> None:
        ink = style.light_style().foreground.name()
        note = f"<br><span style='font-size:{self.title_points * 0.8:.1f}pt'>{self.note}" \
               "</span>" if self.note else ""
        self.setTitle(self.TITLE + note, color=ink, size=f"{self.title_points:.1f}pt")
        # setTitle gives the title a row 30 pixels high, too low for large type or a note
        item = self.getPlotItem()
        height = max(30.0, item.titleLabel.itemRect().height())
        item.titleLabel.setMaximumHeight(height)
        item.layout.setRowFixedHeight(0, height)


def runs_text(steps: np.ndarray) -> str:
    """"1 to 19", "3, 5 to 7": the time steps, consecutive ones as a range."""
    runs: list[list[int]] = []
    for t in steps.tolist():
        if runs and t == runs[-1][-1] + 1:
            runs[-1].append(t)
        else:
            runs.append([t])
    return ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]} to {run[-1]}"
                     for run in runs)
