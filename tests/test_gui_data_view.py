"""The data view of every lesson: its samples and the network's fit (pytest-qt, offscreen)."""

from __future__ import annotations

import pytest

import sim
from gui.views_panel import DATA_TAB
from sim import data, lessons


def test_every_lesson_opens_with_a_data_view_that_shows_its_data(make_window, qtbot):
    files = lessons.lesson_files()
    window = make_window(sim.load(files[0]))
    for path in files:
        experiment = sim.load(path)
        samples = data.facts(experiment.data, experiment.base_dir).samples
        window.run.open(path)
        qtbot.waitUntil(lambda e=experiment: window.snapshot is not None
                        and window.snapshot.experiment.name == e.name
                        and window.snapshot.step == 0, timeout=20000)
        assert window.views_dock.isVisible(), path.name
        qtbot.waitUntil(lambda n=samples: shows_data(window, n), timeout=20000)


def shows_data(window, samples: int) -> bool:
    """Whether the data tab, brought to the front (a lesson that names a weight opens on its
    landscape, maybe after this test first chose the tab), shows every sample and the fit."""
    window.views.setCurrentIndex(DATA_TAB)
    panel = window.views.data_panel
    return panel.samples_shown() == samples and panel.fit_shown()


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_on_a_slide_the_decision_boundary_has_real_height(make_window, qtbot, size):
    """In presentation mode the side column is wide and low: the boundary's choices and key
    stand beside the plot, whose plane (equal aspect) is then about square and takes most of
    the panel's height (at 1280x720 it was once 60 pixels high under them, 19% of it)."""
    window = make_window(sim.load(lessons.lesson_dir() / "spiral.json"), size=size)
    # a loss to plot: the plots share the column (before a step the picture has it alone)
    window.run.step()
    qtbot.waitUntil(lambda: window.snapshot.step == 1, timeout=10000)
    window.presentation.set_on(True)
    qtbot.wait(150)
    window.layout().activate()
    qtbot.wait(50)
    panel = window.views.data_panel
    qtbot.waitUntil(panel.fit_shown, timeout=20000)
    assert panel.wide
    plane = panel.plot.getViewBox().sceneBoundingRect()
    # The equal-aspect plane fills the smaller side of the plot's box.
    assert min(plane.width(), plane.height()) >= 0.45 * panel.height()
    window.presentation.set_on(False)  # at the desk the column is narrow: key under the plot
    qtbot.wait(150)
    assert not panel.wide


def test_the_boundary_is_asked_for_only_while_its_tab_is_in_front(make_window, qtbot):
    """Behind the Controls tab the data view is "visible" to Qt, only clipped to nothing: the
    worker is not asked for pictures no one sees (each costs it a step's time or a few)."""
    window = make_window(sim.load(lessons.lesson_dir() / "spiral.json"))
    window.views_dock.raise_()
    qtbot.waitUntil(lambda: window.run.pictures_wanted[0] is not None, timeout=5000)
    window.controls_dock.raise_()
    qtbot.waitUntil(lambda: window.run.pictures_wanted == (None, None), timeout=5000)
    window.views_dock.raise_()
    qtbot.waitUntil(lambda: window.run.pictures_wanted[0] is not None, timeout=5000)
