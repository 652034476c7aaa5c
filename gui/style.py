"""Colours, fonts and sizes of the app, scaled as one (presentation mode scales them up)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from PySide6.QtGui import QColor, QFont

# Every colour the app draws with is named here, once. The qualitative ones are Okabe & Ito's
# palette: distinguishable under common colour-vision deficiencies.
BLUE, ORANGE, GREEN, PINK = "#0072B2", "#E69F00", "#009E73", "#CC79A7"
SKY, VERMILLION, BLACK = "#56B4E9", "#D55E00", "#000000"
# Okabe & Ito's yellow is nearly invisible on white (contrast 1.3:1): a layer's curve and chip
# use this darker yellow instead (3.0:1 on white, more than orange's 2.3:1; 5.9:1 on the dark
# theme), an olive that stays apart from orange.
DARK_YELLOW = "#A89400"
GREY, DARK_GREY, RED = "#555555", "#222222", "#c0392b"

# Layer l's label chip on the canvas and its gradient-norm curve share colour l. Past eight
# layers, three of Paul Tol's colour-blind-safe "muted" colours, so that every one of up to
# 11 layers (10 hidden and the output) has its own.
LAYER_COLOURS = [BLUE, ORANGE, GREEN, PINK, SKY, VERMILLION, DARK_YELLOW, BLACK,
                 "#882255", "#999933", "#AA4499"]

# What a colour means where curves of two kinds share a plot: blue the run or the data the
# picture is about, vermillion what it is compared with or where it went.
TRAIN_COLOUR = RUN_A_COLOUR = CURVE_COLOUR = BLUE
VALIDATION_COLOUR = RUN_B_COLOUR = PATH_COLOUR = VERMILLION
ALL_LAYERS_COLOUR = GREY  # the gradient norm of the whole network, beside the layers' own
CLIP_COLOUR = ERROR_COLOUR = RED
RATE_COLOUR = GREEN
NOW_COLOUR = BLACK  # the current point on a landscape
PENALTY_COLOUR = GREEN  # the penalty on the weights, beside the data loss it is added to
PRINTED_PATH_COLOUR = GREEN  # a path a course text prints, beside the path the run took
POINT_EDGE_COLOUR = DARK_GREY  # the outline of a validation point
TEST_COLOUR = PINK  # the held-out test set, beside training (blue) and validation (vermillion)
FIT_COLOUR = BLACK  # the network's output drawn over the data


# In presentation mode the canvas's numbers and the captions are this much larger than the
# body text (menus, buttons, axis ticks), which is already twice the desk size at 1080 lines.
NUMBER_RELATIVE = 1.5
CAPTION_RELATIVE = 1.1


def layer_colour(layer: int) -> QColor:
    """The colour that stands for layer ``layer`` (1..L) on the canvas and in the plots."""
    return QColor(LAYER_COLOURS[(layer - 1) % len(LAYER_COLOURS)])


@dataclass
class Style:
    """Everything the views need to look consistent; ``scale`` multiplies every size."""

    scale: float = 1.0
    dark: bool = False
    background: QColor = field(default_factory=lambda: QColor("#ffffff"))
    foreground: QColor = field(default_factory=lambda: QColor("#1a1a1a"))
    muted: QColor = field(default_factory=lambda: QColor("#6b6b6b"))
    accent: QColor = field(default_factory=lambda: QColor(BLUE))
    danger: QColor = field(default_factory=lambda: QColor(ERROR_COLOUR))
    node_empty: QColor = field(default_factory=lambda: QColor("#f2f2f2"))
    bias_fill: QColor = field(default_factory=lambda: QColor("#fff7d6"))
    label_box: QColor = field(default_factory=lambda: QColor(255, 255, 255, 215))
    body_pt: float = 10.0
    line_factor: float = 1.0  # thicker lines for projectors
    name: str = "light"
    presenting: bool = False  # presentation mode: the numbers the room reads are larger still

    @property
    def line_width(self) -> float:
        return self.line_factor * self.scale

    @property
    def body_px(self) -> float:
        return self.body_pt * self.scale * 96.0 / 72.0

    def font(self, relative: float = 1.0, bold: bool = False) -> QFont:
        font = QFont("DejaVu Sans")
        font.setPointSizeF(self.body_pt * self.scale * relative)
        font.setBold(bold)
        return font

    @cached_property
    def small_font(self) -> QFont:
        # On a projector the numbers on nodes and edges are what the room reads: full size.
        return self.font(0.9 if self.scale < 1.5 else 1.0)

    @cached_property
    def label_font(self) -> QFont:
        return self.font(1.0, bold=True)

    @cached_property
    def number_font(self) -> QFont:
        """The values on the canvas's nodes and edges. In presentation mode one and a half
        times the body, so that at 1920 x 1080 (scale 2) a digit's ink is 28 pixels high."""
        return self.font(NUMBER_RELATIVE) if self.presenting else self.small_font

    @cached_property
    def caption_font(self) -> QFont:
        """The Step-by-step captions' numbers: in presentation mode above 28 pixels a line."""
        return self.font(CAPTION_RELATIVE) if self.presenting else self.font()


def light_style(scale: float = 1.0) -> Style:
    return Style(scale=scale)


def projector_style(scale: float = 1.0) -> Style:
    """High contrast for washed-out projectors: black on white, darker greys, thicker lines."""
    return Style(scale=scale, name="projector", foreground=QColor("#000000"),
                 muted=QColor("#404040"), accent=QColor("#005a8c"), node_empty=QColor("#e6e6e6"),
                 label_box=QColor(255, 255, 255, 235), line_factor=1.5)


def dark_style(scale: float = 1.0) -> Style:
    return Style(scale=scale, name="dark", dark=True, background=QColor("#15171a"),
                 foreground=QColor("#eeeeee"), muted=QColor("#9a9a9a"),
                 accent=QColor(SKY), danger=QColor("#ff6b5b"),
                 node_empty=QColor("#2a2d31"), bias_fill=QColor("#3a3520"),
                 label_box=QColor(21, 23, 26, 215))


def primary_button_sheet(style: Style) -> str:
    """The look of the one primary button (Play): filled with the accent colour, bold."""
    pad = round(4 * style.scale)
    return (f"QToolButton {{ background: {style.accent.name()}; color: white; "
            f"font-size: {style.body_pt * style.scale:.1f}pt; font-weight: bold; "
            f"border-radius: {pad}px; padding: {pad}px {3 * pad}px; }}"
            f"QToolButton:hover {{ background: {style.accent.darker(120).name()}; }}"
            f"QToolButton:pressed {{ background: {style.accent.darker(150).name()}; }}")


THEMES = {"light": light_style, "projector": projector_style, "dark": dark_style}
THEME_TITLES = {"light": "Light", "projector": "Projector (high contrast)", "dark": "Dark"}
