"""Recordings for slides: --record and File › Record write GIFs and MP4s that play, by the
rules every save follows (sim.files); the frames are read back with PyAV."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PySide6.QtGui import QImage

import sim
from gui.recording import (
    QUEUED_FRAMES,
    FrameEncoder,
    RecordingError,
    RecordingSpec,
    check,
    output_size,
)
from tests.conftest import LESSONS, ROOT, experiment
from tests.test_app_process import LAUNCH_TIMEOUT, app_environment, run_app

WINDOW = (1000, 700)  # small, scaled down: quick to encode
SCALE = 0.4


def frames_of(path: Path) -> tuple[str, list[np.ndarray]]:
    """The codec and every frame (height × width × 3 RGB) of a recording, as a player reads
    them."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
        return stream.codec_context.name, frames


def distinct(frames: list[np.ndarray]) -> int:
    """How many frames differ from the one before, and the first."""
    return 1 + sum(not np.array_equal(a, b) for a, b in itertools.pairwise(frames))


@pytest.mark.parametrize(("name", "codec"), [("spiral.gif", "gif"), ("spiral.mp4", "h264")])
def test_record_the_spiral_lesson_while_it_trains(tmp_path, name, codec):
    path, shot = tmp_path / name, tmp_path / "window.png"
    width, height = WINDOW
    result = run_app(str(LESSONS / "spiral.json"), "--play", "--quit-after", "3", "--size",
                     f"{width}x{height}", "--record", str(path), "--record-scale", str(SCALE),
                     "--screenshot", str(shot))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    found, frames = frames_of(path)
    assert found == codec
    assert len(frames) > 1
    window = QImage(str(shot))  # the window's size (at least as large as its layout needs)
    expected = output_size(window.width(), window.height(), SCALE, path.suffix[1:])
    assert {frame.shape for frame in frames} == {(expected[1], expected[0], 3)}
    assert distinct(frames) >= 2  # training moved: the boundary, the curves, the step
    assert not np.array_equal(frames[0], frames[-1])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "window.png"])


def test_record_a_phase_walk_of_the_canvas(tmp_path):
    path = tmp_path / "walk.gif"
    result = run_app(str(LESSONS / "seed003-walkthrough.json"), "--phases", "6",
                     "--phase-seconds", "0.3", "--quit-after", "3", "--size", "1000x700",
                     "--record", str(path), "--record-canvas", "--record-fps", "8")
    assert result.returncode == 0, result.stderr
    _, frames = frames_of(path)
    assert len(frames) > 1
    height, width, _ = frames[0].shape
    assert width < 1000 and height < 700  # the canvas, not the window
    assert not np.array_equal(frames[0], frames[-1])  # the walk moved on


@pytest.mark.parametrize(("arguments", "words"), [
    (["--record", "{tmp}/film.avi"], "must end in .gif or .mp4"),
    (["--record", "{tmp}/folder.gif"], "it is a folder; only a regular file is replaced"),
    (["--record", "{tmp}/missing/film.gif"], "its folder does not exist"),
    (["--record", "{tmp}/film.gif", "--record-fps", "0"], "frame rate must be 1 to 50"),
    (["--record", "{tmp}/film.mp4", "--record-scale", "5"], "scale must be 0.1 to 2"),
    (["--record-canvas"], "need --record PATH"),
    (["--record", "{tmp}/film.gif", "--phase-seconds", "1"], "--phase-seconds needs --phases"),
])
def test_a_recording_that_cannot_be_made_is_one_line_and_changes_nothing(tmp_path, arguments,
                                                                          words):
    (tmp_path / "folder.gif").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_app(*(a.format(tmp=tmp_path) for a in arguments), "--quit-after", "30")
    assert result.returncode == 2
    assert result.stderr.startswith("backprop-studio: ") and words in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_without_pyav_recording_says_how_to_install_it(tmp_path):
    path = tmp_path / "film.mp4"
    program = ("import sys; sys.modules['av'] = None; from gui.app import main; "
               f"sys.exit(main(['--record', {str(path)!r}, '--quit-after', '30']))")
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, env=app_environment(),
                            capture_output=True, text=True, timeout=LAUNCH_TIMEOUT)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert "PyAV" in result.stderr and "[record]" in result.stderr
    assert not path.exists()


# ---------------------------------------------------------------------------- the encoder

def picture(number: int, size: tuple[int, int] = (64, 48)) -> np.ndarray:
    """A frame whose blue bar grows with ``number``."""
    width, height = size
    pixels = np.full((height, width, 3), 255, np.uint8)
    pixels[:, :number * 4] = (30, 90, 220)
    return pixels


@pytest.mark.parametrize("ending", [".gif", ".mp4"])
def test_the_encoder_keeps_every_frame_it_took_and_drops_the_rest(tmp_path, ending):
    spec = RecordingSpec(tmp_path / f"bars{ending}", fps=10)
    encoder = FrameEncoder(spec, output_size(64, 48, 1.0, spec.kind))
    offered = 40
    taken = sum(encoder.offer(picture(n % 16), n) for n in range(offered))
    assert encoder.wait() is None
    assert taken == encoder.frames and encoder.frames + encoder.dropped == offered
    assert encoder.frames >= min(offered, QUEUED_FRAMES)  # an empty queue takes 8 at least
    _, frames = frames_of(spec.path)
    assert len(frames) == encoder.frames
    assert frames[0].shape == (48, 64, 3)


def test_frames_are_scaled_to_the_recording_size(tmp_path):
    spec = RecordingSpec(tmp_path / "small.mp4", fps=5, scale=0.5)
    size = output_size(101, 61, spec.scale, spec.kind)
    assert size == (50, 30)  # H.264 wants even sizes: rounded down
    encoder = FrameEncoder(spec, size)
    for n in range(3):
        encoder.offer(picture(n, (101, 61)), n)
    assert encoder.wait() is None
    assert {f.shape for f in frames_of(spec.path)[1]} == {(30, 50, 3)}


def test_a_frame_of_another_size_is_fitted_not_stretched(tmp_path):
    spec = RecordingSpec(tmp_path / "fit.gif", fps=5)
    encoder = FrameEncoder(spec, (64, 48))
    narrow = np.full((48, 32, 3), 255, np.uint8)  # the widget became half as wide
    narrow[16:32, 8:24] = (200, 40, 40)  # a 16 × 16 square
    encoder.offer(picture(3), 0)
    encoder.offer(narrow, 1)
    assert encoder.wait() is None
    fitted = frames_of(spec.path)[1][1]
    assert fitted.shape == (48, 64, 3)
    red = np.argwhere((fitted[:, :, 0] > 150) & (fitted[:, :, 1] < 100))
    (top, left), (bottom, right) = red.min(axis=0), red.max(axis=0)
    assert (bottom - top, right - left) == (15, 15)  # still square
    assert (top, left) == (16, 24)  # centred
    assert (fitted[:, :16] > 240).all() and (fitted[:, 48:] > 240).all()  # its background


def test_a_failed_recording_leaves_the_previous_file_and_no_temporary(tmp_path):
    path = tmp_path / "film.gif"
    path.write_bytes(b"the previous recording")
    encoder = FrameEncoder(RecordingSpec(path), (64, 48))
    problem = encoder.wait()  # no frame: nothing worth saving
    assert problem is not None and "no frame was recorded" in problem
    assert path.read_bytes() == b"the previous recording"
    assert os.listdir(tmp_path) == ["film.gif"]


def test_a_recording_replaces_a_regular_file_and_nothing_else(tmp_path):
    path = tmp_path / "film.mp4"
    path.write_bytes(b"old")
    check(RecordingSpec(path))  # a regular file may be replaced
    encoder = FrameEncoder(RecordingSpec(path), (64, 48))
    encoder.offer(picture(1), 0)
    encoder.offer(picture(2), 1)
    assert encoder.wait() is None
    assert len(frames_of(path)[1]) == 2
    (tmp_path / "folder.gif").mkdir()
    with pytest.raises(RecordingError, match="a folder; only a regular file is replaced"):
        check(RecordingSpec(tmp_path / "folder.gif"))


# ---------------------------------------------------------------------------- File › Record

def test_file_record_records_a_phase_walk_and_says_where(make_window, qtbot, tmp_path):
    window = make_window(experiment(), size=WINDOW)
    window.action("record").trigger()
    dialog = window.recording.dialog
    assert dialog is not None and dialog.isVisible()
    path = tmp_path / "walk.mp4"
    dialog.path.setText(str(path))
    dialog.path.textEdited.emit(str(path))
    assert dialog.format.currentData() == "mp4"  # the format follows the file's ending
    dialog.source.setCurrentIndex(dialog.source.findData("canvas"))
    dialog.scale.setValue(0.5)
    canvas = window.canvas.size() * window.canvas.devicePixelRatio()  # every frame's size
    dialog.start_stop.click()
    assert window.recording.recording
    assert window.action("record").text() == "Stop recording"
    for _ in range(4):
        window.run.step_phase()
        qtbot.wait(150)
    with qtbot.waitSignal(window.recording.ended, timeout=30000):
        dialog.start_stop.click()
    assert not window.recording.recording
    assert window.action("record").text() == "Record…"
    assert dialog.message.text().startswith(f"Recorded {path}")
    _, frames = frames_of(path)
    assert len(frames) > 1 and not np.array_equal(frames[0], frames[-1])
    assert frames[0].shape == (*output_size(canvas.width(), canvas.height(), 0.5, "mp4")[::-1],
                               3)


def test_file_record_refuses_a_bad_path_in_one_line(make_window, tmp_path):
    window = make_window(experiment(), size=WINDOW)
    window.action("record").trigger()
    dialog = window.recording.dialog
    before = sorted(tmp_path.iterdir())
    dialog.path.setText(str(tmp_path / "film.webm"))
    dialog.start_stop.click()
    assert not window.recording.recording
    assert "must end in .gif or .mp4" in dialog.message.text()
    assert "\n" not in dialog.message.text()
    assert sorted(tmp_path.iterdir()) == before
    dialog.format.setCurrentIndex(dialog.format.findData("mp4"))  # the ending follows
    assert dialog.path.text() == str(tmp_path / "film.mp4")


def test_a_phase_walk_recorded_with_motion_moves_within_each_phase(make_window, qtbot, tmp_path):
    window = make_window(sim.load(LESSONS / "seed003-walkthrough.json"), size=WINDOW)
    motion = window.motion
    motion.driven_by_timer = False  # the motion moves on as the frames are recorded
    path = tmp_path / "pulses.gif"
    window.recording.start(RecordingSpec(path, fps=10, scale=0.5, canvas_only=True))
    phases, frames_per_phase = 2, 6  # forward 1 and forward 2: pulses into layers 1 and 2
    for cursor in range(1, phases + 1):
        window.run.step_phase()
        qtbot.waitUntil(lambda c=cursor: window.snapshot.cursor == c and motion.running,
                        timeout=10000)
        step = motion.frames // frames_per_phase  # the pulses' way in frames_per_phase frames
        for _ in range(frames_per_phase - 1):
            motion.advance(step)
            assert motion.running
            # offered again while the encoder is behind: no frame of the motion is dropped
            qtbot.waitUntil(window.recording.record_frame, timeout=10000)
    assert window.recording.wait() is None
    _, frames = frames_of(path)
    # Stepped without motion, a walk of two phases shows at most three pictures (before,
    # forward 1, forward 2); with it the pulses move on from frame to frame within a phase.
    assert distinct(frames) >= phases * 4
