"""Presentation mode, themes and the size of everything, for the lecture hall.

Presentation mode scales text, lines and nodes (1x to 3x), hides the panels a lecture does not
need (controls and inspector) and keeps the canvas, the plots, the step-by-step captions and a
large step/epoch/loss readout. The theme and the scale persist in the settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QDockWidget, QMainWindow

from sim import palette

from .style import THEME_TITLES, THEMES, Style

DEFAULT_SCALE = 2.0  # at FULL_HD_HEIGHT
FULL_HD_HEIGHT = 1080
MIN_SCALE, MAX_SCALE, SCALE_STEP = 1.0, 3.0, 0.25


class Presentation(QObject):
    """The style of the window: theme, colour maps, presentation mode and its scale.

    It says what changed (`toggled`, `style_changed`, `scheme_changed`); the window it is
    given serves for its height, its status bar and full screen."""

    toggled = Signal(bool)  # presentation mode on or off (then `style_changed` follows)
    style_changed = Signal(object)  # the Style every view should now take
    scheme_changed = Signal(str)  # the name of the colour maps (a key of palette.SCHEMES)

    def __init__(self, host: QMainWindow, settings: QSettings) -> None:
        super().__init__(host)
        self.host = host
        self.settings = settings
        self.on = False
        theme = str(settings.value("theme", "light"))
        self.theme = theme if theme in THEMES else "light"
        chosen = settings.value("presentation_scale")  # None until the user picks a scale
        self.scale: float | None = None if chosen is None else _clamp(_as_float(chosen))
        scheme = str(settings.value("colour_scheme", "orange-blue"))
        self.scheme = scheme if scheme in palette.SCHEMES else "orange-blue"
        self.scheme_actions = self._choices(palette.SCHEME_TITLES, self.scheme, self.set_scheme)
        self.theme_actions = self._choices(THEME_TITLES, self.theme, self.set_theme)

    def _choices(self, titles: dict[str, str], chosen: str,
                 choose: Callable[[str], None]) -> QActionGroup:
        """One checkable action per name, the chosen one checked."""
        group = QActionGroup(self)
        for name, title in titles.items():
            action = QAction(title, self)
            action.setCheckable(True)
            action.setChecked(name == chosen)
            action.triggered.connect(lambda _=False, n=name: choose(n))
            group.addAction(action)
        return group

    def style(self) -> Style:
        return THEMES[self.theme](self.current_scale() if self.on else 1.0)

    def current_scale(self) -> float:
        """The user's scale, or one that suits the window: 2x at 1080 pixels high (text 24
        pixels and more), less on a smaller projector such as 1024 x 768."""
        if self.scale is not None:
            return self.scale
        return _clamp(round(self.host.height() / FULL_HD_HEIGHT * DEFAULT_SCALE * 4) / 4)

    @Slot()
    def toggle(self) -> None:
        self.set_on(not self.on)

    def set_on(self, on: bool) -> None:
        if on == self.on:
            return
        self.on = on
        self.toggled.emit(on)
        self.style_changed.emit(self.style())

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
            self.style_changed.emit(self.style())
        else:
            self.host.statusBar().showMessage(
                f"Presentation scale {self.scale:g}x (F5 turns presentation mode on)", 4000)

    def set_theme(self, name: str) -> None:
        self.theme = name
        self.settings.setValue("theme", name)
        for action in self.theme_actions.actions():
            action.setChecked(action.text() == THEME_TITLES[name])
        self.style_changed.emit(self.style())

    def set_scheme(self, name: str) -> None:
        """The colour maps of the edges, nodes and legend (both sets are colour-blind safe)."""
        self.scheme = name
        self.settings.setValue("colour_scheme", name)
        for action in self.scheme_actions.actions():
            action.setChecked(action.text() == palette.SCHEME_TITLES[name])
        self.scheme_changed.emit(name)

    @Slot()
    def toggle_full_screen(self) -> None:
        host = self.host
        host.showNormal() if host.isFullScreen() else host.showFullScreen()


class LectureLayout:
    """The docks in presentation mode: those a lecture does not need are hidden, the
    captions run the whole width (their long formulas need not wrap) and the plots get a
    third of it, so that their numbers stay readable. Off again, the hidden docks return."""

    def __init__(self, host: QMainWindow, hidden: Sequence[QDockWidget], plots: QDockWidget,
                 captions: QDockWidget) -> None:
        self.host, self.hidden, self.plots, self.captions = host, hidden, plots, captions
        self._hidden_now: list[QDockWidget] = []

    def apply(self, on: bool) -> None:
        host = self.host
        if on:
            self._hidden_now = [dock for dock in self.hidden if dock.isVisible()]
            for dock in self._hidden_now:
                dock.hide()
            host.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
            host.resizeDocks([self.plots], [host.width() * 3 // 10], Qt.Orientation.Horizontal)
            host.resizeDocks([self.captions], [host.height() * 9 // 25],
                             Qt.Orientation.Vertical)
        else:
            for dock in self._hidden_now:
                dock.show()
            self._hidden_now = []
            host.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)


def _as_float(value: object) -> float:
    try:
        return float(str(value))
    except ValueError:  # a settings file edited by hand
        return DEFAULT_SCALE


def _clamp(scale: float) -> float:
    return min(MAX_SCALE, max(MIN_SCALE, scale))
