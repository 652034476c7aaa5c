"""The data view of every lesson: its samples and the network's fit (pytest-qt, offscreen)."""

from __future__ import annotations

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
