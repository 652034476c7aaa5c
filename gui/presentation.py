"""Presentation mode, themes and the size of everything, for the lecture hall.

Presentation mode scales text, lines and nodes (1x to 3x), hides the panels a lecture does not
need (controls and inspector) and keeps the canvas, the plots, the step-by-step captions and a
large step/epoch/loss readout. The theme and the scale persist in the settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Qt, Slot
from PySide6.QtGui import QAction, QActionGroup

from sim import palette

from .style import THEME_TITLES, THEMES, Style

if TYPE_CHECKING:
    from .window import MainWindow

DEFAULT_SCALE = 2.0  # at FULL_HD_HEIGHT
FULL_HD_HEIGHT = 1080
MIN_SCALE, MAX_SCALE, SCALE_STEP = 1.0, 3.0, 0.25


class Presentation(QObject):
    """Owns the style of the window: theme, presentation mode and its scale."""

    def __init__(self, window: MainWindow, settings: QSettings) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.on = False
        theme = str(settings.value("theme", "light"))
        self.theme = theme if theme in THEMES else "light"
        chosen = settings.value("presentation_scale")  # None until the user picks a scale
        self.scale: float | None = None if chosen is None else _clamp(_as_float(chosen))
        self._hidden_docks: list = []
        w = window
        self.toggle_action = w.make_action("Presentation mode", self.toggle, "F5",
                                       "Large type and lines for a projector; hides the "
                                       "controls and the inspector")
        self.toggle_action.setCheckable(True)
        self.larger_action = w.make_action("Larger", self.larger, "Ctrl++",
                                       "Scale everything up (presentation mode)")
        self.larger_action.setShortcuts(["Ctrl++", "Ctrl+="])
        self.smaller_action = w.make_action("Smaller", self.smaller, "Ctrl+-",
                                        "Scale everything down (presentation mode)")
        self.full_screen_action = w.make_action("Full screen", self.toggle_full_screen, "F11")
        scheme = str(settings.value("colour_scheme", "orange-blue"))
        self.scheme = scheme if scheme in palette.SCHEMES else "orange-blue"
        self.scheme_actions = QActionGroup(self)
        for name, title in palette.SCHEME_TITLES.items():
            action = QAction(title, self)
            action.setCheckable(True)
            action.setChecked(name == self.scheme)
            action.triggered.connect(lambda _=False, n=name: self.set_scheme(n))
            self.scheme_actions.addAction(action)
        self.theme_actions = QActionGroup(self)
        for name, title in THEME_TITLES.items():
            action = QAction(title, self)
            action.setCheckable(True)
            action.setChecked(name == self.theme)
            action.triggered.connect(lambda _=False, n=name: self.set_theme(n))
            self.theme_actions.addAction(action)

    def style(self) -> Style:
        return THEMES[self.theme](self.current_scale() if self.on else 1.0)

    def current_scale(self) -> float:
        """The user's scale, or one that suits the window: 2x at 1080 pixels high (text 24
        pixels and more), less on a smaller projector such as 1024 x 768."""
        if self.scale is not None:
            return self.scale
        return _clamp(round(self.window.height() / FULL_HD_HEIGHT * DEFAULT_SCALE * 4) / 4)

    @Slot()
    def toggle(self) -> None:
        self.set_on(not self.on)

    def set_on(self, on: bool) -> None:
        if on == self.on:
            return
        self.on = on
        self.toggle_action.setChecked(on)
        w = self.window
        if on:
            self._hidden_docks = [d for d in (w.controls_dock, w.inspector_dock, w.lesson_dock,
                                              w.views_dock) if d.isVisible()]
            for dock in self._hidden_docks:
                dock.hide()
            # The captions run the whole width (their long formulas need not wrap); the plots
            # get a third of the width, so their numbers stay readable.
            w.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
            w.resizeDocks([w.plots_dock], [w.width() * 3 // 10], Qt.Orientation.Horizontal)
            w.resizeDocks([w.captions_dock], [w.height() * 9 // 25], Qt.Orientation.Vertical)
        else:
            for dock in self._hidden_docks:
                dock.show()
            self._hidden_docks = []
            w.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        w.apply_style(self.style())

    @Slot()
    def larger(self) -> None:
        self.set_scale(self.current_scale() + SCALE_STEP)

    @Slot()
    def smaller(self) -> None:
        self.set_scale(self.current_scale() - SCALE_STEP)

    def set_scale(self, scale: float) -> None:
        self.scale = _clamp(scale)
        self.settings.setValue("presentation_scale", self.scale)
        if self.on:
            self.window.apply_style(self.style())
        else:
            self.window.statusBar().showMessage(
                f"Presentation scale {self.scale:g}x (F5 turns presentation mode on)", 4000)

    def set_theme(self, name: str) -> None:
        self.theme = name
        self.settings.setValue("theme", name)
        for action in self.theme_actions.actions():
            action.setChecked(action.text() == THEME_TITLES[name])
        self.window.apply_style(self.style())

    def set_scheme(self, name: str) -> None:
        """The colour maps of the edges, nodes and legend (both sets are colour-blind safe)."""
        self.scheme = name
        self.settings.setValue("colour_scheme", name)
        for action in self.scheme_actions.actions():
            action.setChecked(action.text() == palette.SCHEME_TITLES[name])
        self.window.canvas.set_scheme(name)
        self.window.comparison.canvas.set_scheme(name)

    @Slot()
    def toggle_full_screen(self) -> None:
        w = self.window
        w.showNormal() if w.isFullScreen() else w.showFullScreen()


def _as_float(value: object) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):  # a settings file edited by hand
        return DEFAULT_SCALE


def _clamp(scale: float) -> float:
    return min(MAX_SCALE, max(MIN_SCALE, scale))
