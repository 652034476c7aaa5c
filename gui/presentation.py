"""Presentation mode, themes and the size of everything, for the lecture hall.

Presentation mode scales text, lines and nodes (1x to 3x, never more than the window holds),
hides the panels a lecture does not need (controls, inspector, lesson) and lays the rest out as
a slide: the canvas with the step-by-step captions under it, and beside it the lesson's one side
view (its decision boundary or landscape, or a deep network's gradient norms) above the plots.
The theme and the scale persist in the settings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QEvent,
    QObject,
    QSettings,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QDockWidget, QMainWindow

import sim
from sim import palette
from sim.snapshot import Snapshot

from .phases import CaptionPanel, phase_index
from .style import THEME_TITLES, THEMES, Style

DEFAULT_SCALE = 2.0  # at FULL_HD_HEIGHT
FULL_HD_HEIGHT = 1080
MIN_SCALE, MAX_SCALE, SCALE_STEP = 1.0, 3.0, 0.25
FIT_LINES_PER_SCALE = 360  # a window this many pixels high holds the lecture layout at 1x


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
        self.shown_scale = 1.0  # the scale of the style last given to the views
        self._too_large = math.inf  # the smallest scale found not to fit the window ...
        self._fitted_height = 0  # ... of this height
        self._fitting = False

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

    def style(self, height: int | None = None) -> Style:
        """The style to draw with; in presentation mode scaled for a window ``height``
        pixels high (by default its height now)."""
        if not self.on:
            return THEMES[self.theme](1.0)
        style = THEMES[self.theme](self.current_scale(height))
        style.presenting = True
        return style

    def current_scale(self, height: int | None = None) -> float:
        """The user's scale, or one that suits the window: 2x at 1080 pixels high (text 24
        pixels and more), less on a smaller projector such as 1024 x 768. Never more than
        the window's height holds (`fitting_scale`), so that nothing grows it past the
        screen."""
        height = self.host.height() if height is None else height
        chosen = self.scale if self.scale is not None else suggested_scale(height)
        return max(MIN_SCALE, min(chosen, fitting_scale(height), self._too_large - SCALE_STEP))

    def refit(self) -> None:
        """The window was resized: in presentation mode, take the scale that suits it now."""
        if self._fitting:
            return
        if self.host.height() != self._fitted_height:
            self._too_large = math.inf  # the window changed: it may hold more (or less) now
        if self.on and self.shown_scale != self.current_scale():
            self._emit_style()

    @Slot()
    def toggle(self) -> None:
        self.set_on(not self.on)

    def set_on(self, on: bool) -> None:
        if on == self.on:
            return
        self.on = on
        self.rearrange(lambda: self.toggled.emit(on))
        if not on:
            self._emit_style()

    def rearrange(self, arrange: Callable[[], None]) -> None:
        """Arrange the docks anew (``arrange``), then take the largest scale whose layout
        fits the window as high as it was before they moved."""
        height = self.host.height()
        self._fitting = True  # the docks rearranged may grow the window for a moment
        try:
            arrange()
        finally:
            self._fitting = False
        if self.on:
            self._emit_style(height)

    def _emit_style(self, height: int | None = None) -> None:
        """Give the views the style; in presentation mode, a step smaller while the window
        would have to grow past ``height`` (its height now) to hold what the style makes
        (its docks' smallest sizes). A window that grew meanwhile gets its height back."""
        host = self.host
        target = host.height() if height is None else height
        self._too_large = math.inf
        self._fitted_height = target
        self._fitting = True  # the window may grow meanwhile: that is not a resize to refit
        try:
            while True:
                style = self.style(target)
                self.shown_scale = style.scale
                self.style_changed.emit(style)
                if not self.on or style.scale <= MIN_SCALE or self._smallest_height() <= target:
                    break
                self._too_large = style.scale
            if self.on and host.height() > target and not host.isFullScreen():
                host.resize(host.width(), target)
        finally:
            self._fitting = False

    def _smallest_height(self) -> int:
        """The window's smallest height as the style just given makes it (its layout is
        brought up to date first: the docks' contents have new fonts and minimums)."""
        # Layouts wait for a posted request to take new fonts (the status bar's among them):
        # they are done now, or the window's smallest height would be the old style's.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        layout = self.host.layout()
        if layout is not None:
            layout.activate()
        return self.host.minimumSizeHint().height()

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
            self._emit_style()
        else:
            self.host.statusBar().showMessage(
                f"Presentation scale {self.scale:g}x (F5 turns presentation mode on)", 4000)

    def set_theme(self, name: str) -> None:
        self.theme = name
        self.settings.setValue("theme", name)
        for action in self.theme_actions.actions():
            action.setChecked(action.text() == THEME_TITLES[name])
        self._emit_style()

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


# The lesson's one side view on the slide: its pictures (decision boundary or landscape), the
# gradient-norm plot (a deep network's story is its gradients), or the plots alone.
# While two runs are compared, the side-by-side panel (run B's canvas, both runs' curves).
PICTURES, GRADIENTS, PLOTS, COMPARISON = "pictures", "gradients", "plots", "comparison"
DEEP_LAYERS = 4  # from this many layers, vanishing or exploding gradients are the lesson
MIN_BOUNDARY_SAMPLES = 4  # fewer points (a worked example's one) make no boundary worth a look
SIDE_WIDTH = 36  # per cent of the window's width the side column takes
PICTURE_HEIGHT = 60  # per cent of the side column the picture takes, above the plots
# ... a loss landscape: a curve and the weight's path under it, against one loss plot
LANDSCAPE_HEIGHT = 70


def side_view(experiment: sim.Experiment, comparing: bool = False) -> str:
    """Which side view a lesson's slide keeps beside the canvas: the comparison with a
    second run, the picture a lesson names (sim.lesson_view: a side view, a landscape's
    weights), a deep network's gradient norms, a two-input problem's decision boundary, or
    else the plots."""
    if comparing:
        return COMPARISON
    if experiment.view.side_view is not None or experiment.view.weights:
        return PICTURES  # the lesson names its side picture, or the weights of a landscape
    if len(experiment.network.layers) >= DEEP_LAYERS:
        return GRADIENTS
    facts = experiment.data_facts
    few = facts is not None and facts.samples < MIN_BOUNDARY_SAMPLES  # a worked example's
    return PICTURES if experiment.network.inputs == 2 and not few else PLOTS


def picture_share(experiment: sim.Experiment) -> int:
    """Per cent of the side column the lesson's picture takes: more for a loss landscape
    (its curve and, under it, the weight's path) than for a decision boundary."""
    view = experiment.view
    landscape = view.side_view == "landscape" or (bool(view.weights) and view.side_view is None)
    return LANDSCAPE_HEIGHT if landscape else PICTURE_HEIGHT


class LectureLayout:
    """The docks in presentation mode, as a slide: the canvas and beside it one column
    holding the lesson's side view (`side_view`) above the plots, the captions under the
    canvas (under both, where the column holds plots alone). Until a step is taken the plots
    would be empty axes: the slide leaves them out (the picture, if any, takes the column;
    else the canvas takes the width) and brings them in with the first step. The docks a
    lecture does not need are hidden; off again, the everyday layout returns as it was."""

    def __init__(self, host: QMainWindow, hidden: Sequence[QDockWidget], plots: QDockWidget,
                 captions: QDockWidget, pictures: QDockWidget, comparison: QDockWidget,
                 emphasise: Callable[[str | None], None]) -> None:
        self.host, self.hidden, self.plots, self.captions = host, hidden, plots, captions
        self.pictures, self.comparison = pictures, comparison
        self.emphasise = emphasise  # tells the plots which of them the slide is about
        self._everyday: QByteArray | None = None  # the window's state before the lecture
        self.side: str | None = None  # the side view arranged, while on
        self.walking = False  # phases are stepped: the captions need the room
        self.plotted = False  # the run on show has taken a step: its plots have a curve
        self.share = PICTURE_HEIGHT  # per cent of the column the lesson's picture takes
        self.beside: list[QDockWidget] | None = None  # captions beside the canvas: the
        # side column's docks they stand in for

    def apply(self, on: bool, experiment: sim.Experiment, comparing: bool) -> None:
        host = self.host
        if on:
            if self._everyday is None:
                self._everyday = host.saveState()
            self.arrange(experiment, comparing)
            return
        self.side = None
        self.beside = None  # the everyday layout puts the captions back
        self.emphasise(None)
        host.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        host.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        if self._everyday is not None:
            host.restoreState(self._everyday)
            self._everyday = None
        self.comparison.setVisible(comparing)  # a comparison may have started or ended

    def set_walking(self, walking: bool) -> None:
        """While phases are stepped, the side picture (it changes only at an update) gives
        its room to the captions, which then run under the plots too; it is back as soon as
        training plays (and the captions, if they stood beside the canvas, go back under
        it)."""
        self.walking = walking
        if not walking:
            self.put_captions_under()
        if self.side == PICTURES:
            self.pictures.setVisible(not walking)
            self._give_corner()
            self._size_column()  # before a step, the picture alone makes the column

    def set_plotted(self, plotted: bool) -> bool:
        """Whether the run on show has anything to plot (a step taken; none again after a
        reset). On a slide, the plots come in with the first step and go with the last;
        True if that changed the slide."""
        if plotted == self.plotted:
            return False
        self.plotted = plotted
        if self.side is None or self.side == COMPARISON:  # not a slide, or no plots on it
            return False
        if self.beside is not None:  # the captions have the column: the plots come after
            self.beside = [dock for dock in self.beside if dock is not self.plots] + \
                ([self.plots] if plotted else [])
            return False
        self.plots.setVisible(plotted)
        if plotted:
            self._size_column()
        return True

    def _size_column(self) -> None:
        """The side column its share of the width (a dock shown again comes back at the
        width it had), and its picture its share of the column's height above the plots."""
        host = self.host
        shown = [dock for dock in (self.comparison, self.pictures, self.plots)
                 if not dock.isHidden()]
        if not shown:  # no column: the canvas has the width
            return
        host.resizeDocks(shown[:1], [host.width() * SIDE_WIDTH // 100],
                         Qt.Orientation.Horizontal)
        if shown == [self.pictures, self.plots]:
            height = host.height()
            host.resizeDocks(shown, [height * self.share // 100,
                                     height * (100 - self.share) // 100],
                             Qt.Orientation.Vertical)

    def may_put_captions_beside(self) -> bool:
        """Whether the captions may stand beside the canvas: on a slide whose side column
        holds the lesson's own views (a comparison's second run is the point of its slide),
        while phases are stepped (nothing in the column changes until the update)."""
        return self.side not in (None, COMPARISON) and self.walking

    def put_captions_beside(self, width: int) -> None:
        """The captions, ``width`` pixels wide, the whole height beside the canvas in the
        side column's place, until the walk ends: a long caption (XOR's chain rule through
        its batch of 4) shows whole there, where under the canvas it scrolled and the
        network was squeezed flat."""
        if self.beside is not None:
            return
        host = self.host
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.beside = [dock for dock in host.findChildren(QDockWidget)
                       if dock is not self.captions and not dock.isHidden()
                       and not dock.isFloating() and host.dockWidgetArea(dock) == right]
        for dock in self.beside:
            dock.hide()
        host.setCorner(Qt.Corner.BottomRightCorner, right)
        host.addDockWidget(right, self.captions)
        host.resizeDocks([self.captions], [width], Qt.Orientation.Horizontal)

    def put_captions_under(self) -> None:
        """The captions back under the canvas, the side column as it was."""
        if self.beside is None:
            return
        returning, self.beside = self.beside, None
        host = self.host
        host.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.captions)
        self._give_corner()
        for dock in returning:
            dock.show()
        self._size_column()

    def _give_corner(self) -> None:
        """The bottom right corner to the side column where it holds a picture (or run B's
        canvas) above the plots, which needs the whole height; else to the captions, which
        then run the whole width (their long formulas need not wrap, so they take fewer
        lines)."""
        column = self.side == COMPARISON or (self.side == PICTURES and not self.walking)
        self.host.setCorner(Qt.Corner.BottomRightCorner,
                            Qt.DockWidgetArea.RightDockWidgetArea if column else
                            Qt.DockWidgetArea.BottomDockWidgetArea)

    def arrange(self, experiment: sim.Experiment, comparing: bool) -> None:
        """Lay out the slide for this lesson (also when another lesson opens, or a
        comparison starts or ends)."""
        host = self.host
        self.put_captions_under()
        self.side = side_view(experiment, comparing)
        for dock in self.hidden:
            dock.hide()
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self._give_corner()
        host.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.captions.show()
        if self.side == PICTURES:
            host.addDockWidget(right, self.pictures)
            host.splitDockWidget(self.pictures, self.plots, Qt.Orientation.Vertical)
        if self.side == COMPARISON:  # its curves are A's and B's, the plots' A's alone
            host.addDockWidget(right, self.comparison)
        self.pictures.setVisible(self.side == PICTURES and not self.walking)
        self.plots.setVisible(self.side != COMPARISON and self.plotted)
        self.comparison.setVisible(self.side == COMPARISON)
        self.emphasise(self.side)
        self.share = picture_share(experiment)
        self._size_column()


# Per cent of the window's height the captions may take: half beside a worked example's
# small network (its numbers are few and large), a third beside a larger one.
SMALL_NETWORK_CAPTION_SHARE, CAPTION_SHARE = 50, 35
# ... but a caption too long for that scrolls anyway: then the network keeps more of the
# height (XOR's backward pass of a batch of 4, 12 lines, left its 2-3-1 network 200 pixels
# of a 1080-line slide, its labels crammed and x₂'s name gone).
SCROLLED_CAPTION_SHARE = 40
SMALL_NETWORK_UNITS = 4  # units in a layer, at most, of a small network
# Per cent of a slide's width the captions may take beside the canvas, where under it they
# would scroll (the narrowest of these that shows them whole): a network of at most
# CAPTIONS_BESIDE_LAYERS layers of at most CAPTIONS_BESIDE_UNITS units reads well in the rest
# of the width at the whole height (under XOR's whole chain rule, its 2-3-1 network would
# have had 185 of a 720-line slide's pixels, squeezed flat; under batch-mini's, its 2-6-1
# network a band of 250 of 1080).
CAPTIONS_BESIDE_WIDTHS = (50, 57, 64)
CAPTIONS_BESIDE_LAYERS, CAPTIONS_BESIDE_UNITS = 3, 8
GLIMPSE_LINES = 2  # lines of a caption shown whole when not stepping phases


def widest_layer(snapshot: Snapshot) -> int:
    """The most units in a layer of the network, its inputs counted as a layer."""
    return max([snapshot.layers[0].fan_in] + [layer.units for layer in snapshot.layers])


def small_network(snapshot: Snapshot) -> bool:
    """Whether a network is a worked example's: few units in every layer."""
    return widest_layer(snapshot) <= SMALL_NETWORK_UNITS


def caption_share(snapshot: Snapshot | None) -> int:
    """How much of the window's height the captions may take beside this network."""
    if snapshot is None or not small_network(snapshot):
        return CAPTION_SHARE
    return SMALL_NETWORK_CAPTION_SHARE


class CaptionRoom:
    """The Step-by-step captions get the room they need: while phases are stepped the dock
    grows until the whole caption shows (up to `caption_share`; beyond that it scrolls; on a
    slide, a caption that would scroll there stands beside the canvas instead where it shows
    whole, see `LectureLayout.put_captions_beside`), and while training plays it shrinks to
    the phase strip and the title."""

    def __init__(self, host: QMainWindow, dock: QDockWidget, panel: CaptionPanel,
                 shown: Callable[[], Snapshot | None], lecture: LectureLayout) -> None:
        self.host, self.dock, self.panel, self.lecture = host, dock, panel, lecture
        self.shown = shown  # the snapshot on show: how large its network is
        self.playing = False
        self.walking = False  # phases are stepped: only then does the caption need it all
        panel.captioned.connect(self.fit)

    @Slot(bool)
    def set_walking(self, walking: bool) -> None:
        self.walking = walking
        self.fit()

    @Slot(bool)
    def set_playing(self, playing: bool) -> None:
        self.playing = playing
        self.panel.set_playing(playing)
        self.fit()

    def _wanted(self, body_lines: int | None = None, width: int | None = None) -> int:
        """The dock's height that shows the panel's visible parts whole (of the caption's
        body, its first ``body_lines`` lines if given), the dock as wide as it is or
        ``width``: then with room kept for the caption's scroll bar, which shows while the
        dock is being resized, and the text it narrows wraps into more lines (the bar would
        stay)."""
        frame = self.dock.height() - self.panel.height()  # the dock's title bar
        if width is None:
            return self.panel.needed_height(self.panel.width(), body_lines) + frame
        bar = self.panel.body_scroll.verticalScrollBar().sizeHint().width()
        inner = width - (self.dock.width() - self.panel.width()) - bar
        return self.panel.needed_height(inner, body_lines) + frame

    @Slot()
    def fit(self) -> None:
        """Grow the dock to show the whole caption while phases are stepped, its first
        lines otherwise (never shrink it: the canvas above keeps its place from one phase to
        the next); while training plays, the strip and the title, whatever room they take
        (the strip comes with the first snapshot, which may come after Play). Captions put
        beside the canvas stay there until the next iteration's first phase."""
        if not self.dock.isVisible() or self.dock.isFloating():
            return
        if self.playing:
            self.host.resizeDocks([self.dock], [self._wanted()], Qt.Orientation.Vertical)
            return
        if self.lecture.beside is not None:  # beside the canvas: they have the whole height
            if not self._iteration_begins():
                return
            self.lecture.put_captions_under()  # a new pass: its first captions are short
        # stepping phases: the whole caption; else its strip, title and first lines
        wanted = self._wanted(None if self.walking else GLIMPSE_LINES)
        height = self.host.height()
        room = height * caption_share(self.shown()) // 100
        if wanted > room and self._put_beside():
            return
        if wanted > room:
            room = min(room, height * SCROLLED_CAPTION_SHARE // 100)
        if wanted > self.dock.height():
            self.host.resizeDocks([self.dock], [min(wanted, room)], Qt.Orientation.Vertical)

    def _iteration_begins(self) -> bool:
        """Whether the phase on show is an iteration's first (forward 1)."""
        snapshot = self.shown()
        return snapshot is not None and phase_index(snapshot) == 0

    def _put_beside(self) -> bool:
        """On a slide while phases are stepped, put a caption that would scroll under a
        small, shallow network's canvas beside it, as narrow as it may be to show whole there (the
        canvas and the captions' dock are as high as the two stacked); True if it went
        there."""
        snapshot = self.shown()
        if snapshot is None or widest_layer(snapshot) > CAPTIONS_BESIDE_UNITS or \
                len(snapshot.layers) > CAPTIONS_BESIDE_LAYERS or \
                not self.lecture.may_put_captions_beside():
            return False
        central = self.host.centralWidget()
        if central is None:
            return False
        high = self.dock.geometry().bottom() - central.geometry().top()
        widths = [self.host.width() * share // 100 for share in CAPTIONS_BESIDE_WIDTHS]
        whole = [width for width in widths if self._wanted(width=width) <= high]
        if not whole:
            return False
        self.lecture.put_captions_beside(whole[0])
        return True


def suggested_scale(height: int) -> float:
    """The scale that suits a window this many pixels high: 2x at 1080 (text 24 pixels and
    more), in proportion below, in quarter steps, never more than `fitting_scale`."""
    return max(MIN_SCALE, min(_clamp(round(height / FULL_HD_HEIGHT * DEFAULT_SCALE * 4) / 4),
                              fitting_scale(height)))


def fitting_scale(height: int) -> float:
    """The largest scale whose lecture layout fits a window this many pixels high: 3x at
    1080 lines, 2x at 720 (in quarter steps, at least MIN_SCALE)."""
    return max(MIN_SCALE, math.floor(height / FIT_LINES_PER_SCALE * 4) / 4)


def _as_float(value: object) -> float:
    try:
        return float(str(value))
    except ValueError:  # a settings file edited by hand
        return DEFAULT_SCALE


def _clamp(scale: float) -> float:
    return min(MAX_SCALE, max(MIN_SCALE, scale))
