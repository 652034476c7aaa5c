"""Recordings for slides: frames of what the app shows, encoded as an animated GIF or an MP4
(H.264), off the GUI thread.

The GUI thread grabs frames (gui.recorder) and offers them to a `FrameEncoder`, which encodes
them in a thread of its own with PyAV (FFmpeg and libx264 in the process, from the optional
``record`` extra). Between the two is a queue of at most `QUEUED_FRAMES` frames: when the
encoder falls behind, a new frame is dropped (and counted) rather than memory growing, and the
frame before it simply shows longer, as each frame carries its time.

The file is written as every save is (sim.files): into a temporary file beside the target,
renamed over it only once the recording is complete, and only a regular file is replaced. A
recording that fails, or holds no frame, leaves whatever was there before.

Every frame has the recording's size, set by the first frame and the scale; a later frame of
another size (the widget grew or shrank) is fitted into it with its proportions kept, on its
own background colour.

This module loads no Qt, so that the command line can check a recording's settings before the
window opens.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from sim.files import WriteError, path_text, replacing, writable_target
from sim.schema import one_line

if TYPE_CHECKING:
    import av
    from av.video.stream import VideoStream

# What a file name's ending says the recording is.
FORMATS = {".gif": "gif", ".mp4": "mp4"}
FORMAT_TITLES = {"gif": "Animated GIF (.gif)", "mp4": "MP4 video, H.264 (.mp4)"}
# A GIF holds each frame's time in hundredths of a second, and browsers play a frame shorter
# than 2/100 s much slower than asked: 50 frames a second is as fast as a GIF can go.
FPS_RANGE = (1, 50)
DEFAULT_FPS = 10
SCALE_RANGE = (0.1, 2.0)
QUEUED_FRAMES = 8  # frames waiting for the encoder at most; a new one beyond is dropped
ENCODER_NICENESS = 10  # added to the encoder thread's nice value (see _yield_to_the_app)
INSTALL_HINT = "pip install 'backprop-studio[record]' (or '.[record]' in a clone)"
# H.264 for slides: visually lossless text (CRF 18), encoded quickly on a busy machine, the
# index at the front so that a presentation program can start playing before it has read all.
H264_OPTIONS = {"crf": "18", "preset": "veryfast"}
MP4_OPTIONS = {"movflags": "+faststart"}


class RecordingError(ValueError):
    """A recording that cannot be made, in one line; nothing was started or changed."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


@dataclass(frozen=True)
class RecordingSpec:
    """What to record, where, how often and how large."""

    path: Path
    fps: int = DEFAULT_FPS  # frames a second
    scale: float = 1.0  # of the pixels the widget shows
    canvas_only: bool = False  # the network canvas alone, not the whole window

    @property
    def kind(self) -> str:
        """"gif" or "mp4", from the file name's ending."""
        return recording_kind(self.path)


def recording_kind(path: Path) -> str:
    """"gif" or "mp4" as ``path`` ends; RecordingError for any other ending."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        endings = " or ".join(FORMATS)
        raise RecordingError(f"cannot record {path_text(path)}: the name must end in {endings}")
    return kind


def check(spec: RecordingSpec) -> None:
    """RecordingError if ``spec`` cannot be recorded: an unknown ending, a rate or scale out of
    range, no encoder installed, or a path that may not be written (see sim.files)."""
    recording_kind(spec.path)
    low, high = FPS_RANGE
    if not low <= spec.fps <= high:
        raise RecordingError(f"the frame rate must be {low} to {high} frames a second, got "
                             f"{spec.fps}")
    low_scale, high_scale = SCALE_RANGE
    if not low_scale <= spec.scale <= high_scale:
        raise RecordingError(f"the scale must be {low_scale:g} to {high_scale:g}, got "
                             f"{spec.scale:g}")
    problem = encoder_problem(spec.kind)
    if problem:
        raise RecordingError(problem)
    try:
        writable_target(spec.path)
    except WriteError as error:
        raise RecordingError(str(error)) from None


def encoder_problem(kind: str) -> str | None:
    """Why a ``kind`` recording cannot be encoded here (PyAV missing, or its FFmpeg lacking
    the encoder), or None."""
    try:
        import av
        import av.filter
    except ImportError:
        return f"recording needs PyAV, which is not installed: {INSTALL_HINT}"
    needed = {"gif": ("gif",), "mp4": ("libx264",)}[kind]
    missing = [name for name in needed if name not in av.codecs_available]
    if kind == "gif":
        missing += [name for name in ("palettegen", "paletteuse")
                    if name not in av.filter.filters_available]
    if missing:
        return (f"this PyAV's FFmpeg lacks {', '.join(missing)}, which a {kind.upper()} "
                f"recording needs: {INSTALL_HINT}")
    return None


def output_size(width: int, height: int, scale: float, kind: str) -> tuple[int, int]:
    """The recording's frame size for frames of ``width`` × ``height`` pixels at ``scale``:
    H.264 (as MP4s are written: 4:2:0 colour) needs even sizes, so an MP4's are rounded down
    to even numbers."""
    step = 2 if kind == "mp4" else 1
    return tuple(max(step, round(side * scale) // step * step)  # type: ignore[return-value]
                 for side in (width, height))


@dataclass(frozen=True)
class RecordingProgress:
    """How far a recording has come."""

    frames: int  # taken into the recording
    dropped: int  # grabbed while the encoder was behind, left out
    seconds: float  # of recording time

    def text(self) -> str:
        dropped = f", {self.dropped} dropped (the encoder fell behind)" if self.dropped else ""
        return f"{self.seconds:.1f} s, {self.frames} frame{'s' * (self.frames != 1)}{dropped}"


class FrameEncoder:
    """Encodes frames into ``spec``'s file on a thread of its own.

    `offer` hands it a frame (H × W × 3 RGB bytes) and the frame's time in frames since the
    start; `finish` ends the recording and renames the file into place; `wait` waits for that
    and tells what went wrong, if anything. ``done`` is called on the encoder's thread with
    the problem (None when the file was saved).
    """

    def __init__(self, spec: RecordingSpec, size: tuple[int, int],
                 done: Callable[[str | None], None] | None = None) -> None:
        self.spec = spec
        self.size = size
        self.frames = 0  # taken into the queue
        self.dropped = 0
        self.problem: str | None = None
        self._done = done
        self._queue: queue.Queue[tuple[np.ndarray, int] | None] = queue.Queue(QUEUED_FRAMES)
        self._finishing = False
        self._thread = threading.Thread(target=self._run, name="recording encoder",
                                        daemon=True)
        self._thread.start()

    def offer(self, frame: np.ndarray, time: int) -> bool:
        """Queue ``frame`` shown from ``time`` (in frames since the start, later than the last
        one's); False if it was dropped, the encoder being behind or done."""
        if self._finishing or not self._thread.is_alive():
            return False
        try:
            self._queue.put_nowait((frame, time))
        except queue.Full:
            self.dropped += 1
            return False
        self.frames += 1
        return True

    def finish(self) -> None:
        """End the recording: the frames queued are encoded, then the file is saved."""
        if not self._finishing:
            self._finishing = True
            while self._thread.is_alive():  # a blocking put could wait on a dead encoder
                try:
                    self._queue.put(None, timeout=0.1)
                    break
                except queue.Full:
                    continue

    def wait(self) -> str | None:
        """Finish, wait until the file is saved; the problem, or None if it was."""
        self.finish()
        self._thread.join()
        return self.problem

    def _run(self) -> None:
        _yield_to_the_app()
        try:
            self._encode()
        except (RecordingError, WriteError) as error:
            self.problem = str(error)
        except Exception as error:  # an FFmpeg error: the recording is lost, the app goes on
            self.problem = one_line(f"cannot write {path_text(self.spec.path)}: {error}")
        if self.problem:
            self._drain()
        if self._done is not None:
            self._done(self.problem)

    def _drain(self) -> None:
        """Empty the queue so that a frame offered after a failure is not waited on."""
        self._finishing = True
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def _encode(self) -> None:
        import av

        kind = self.spec.kind
        with replacing(self.spec.path) as temporary, \
                av.open(temporary.path, "w", format=kind,
                        options=MP4_OPTIONS if kind == "mp4" else {}) as container:
            sink = _GifSink(container, self) if kind == "gif" else _H264Sink(container, self)
            written = 0
            while (item := self._queue.get()) is not None:
                sink.write(self._frame(*item))
                written += 1
            if written == 0:
                raise RecordingError(f"cannot write {path_text(self.spec.path)}: no frame "
                                     "was recorded")
            sink.close()

    def _frame(self, pixels: np.ndarray, time: int) -> av.VideoFrame:
        import av

        frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
        if (frame.width, frame.height) != self.size:
            frame = av.VideoFrame.from_ndarray(self._fitted(frame), format="rgb24")
        frame.pts = time
        frame.time_base = self.time_base
        return frame

    def _fitted(self, frame: av.VideoFrame) -> np.ndarray:
        """``frame`` scaled to fit the recording's size with its proportions kept, centred on
        the colour of its top left corner (the widget's background, as a rule): a widget that
        changed size while recording (a caption grew, the window was resized) is shown
        smaller or larger, never stretched."""
        width, height = self.size
        fit = min(width / frame.width, height / frame.height)
        inner_width = min(width, max(1, round(frame.width * fit)))
        inner_height = min(height, max(1, round(frame.height * fit)))
        inner = frame.reformat(inner_width, inner_height, interpolation="AREA").to_ndarray()
        pixels = np.empty((height, width, 3), np.uint8)
        pixels[:, :] = inner[0, 0]
        top, left = (height - inner_height) // 2, (width - inner_width) // 2
        pixels[top:top + inner_height, left:left + inner_width] = inner
        return pixels

    @property
    def time_base(self) -> Fraction:
        return Fraction(1, self.spec.fps)


def _yield_to_the_app() -> None:
    """Give the calling thread (the encoder's, and the codec threads it starts, which inherit
    it) a lower priority, so that on a busy machine painting and training go first and the
    encoder drops frames instead. Linux only: there a thread has a priority of its own, and
    setpriority on a thread's id changes that thread alone."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), ENCODER_NICENESS)


class _Sink:
    """Frames into one video stream of a container."""

    def __init__(self, container: av.container.OutputContainer, encoder: FrameEncoder,
                 codec: str, pixels: str, options: dict[str, str]) -> None:
        self.container = container
        # A video codec's name gives a video stream (the stubs type only known names so).
        self.stream = cast("VideoStream", container.add_stream(codec, rate=encoder.spec.fps,
                                                               options=options))
        self.stream.width, self.stream.height = encoder.size
        self.stream.pix_fmt = pixels

    def write(self, frame: av.VideoFrame | None) -> None:
        """Encode ``frame`` (None: the encoder's delayed frames) and store what comes out."""
        self.container.mux(self.stream.encode(frame))

    def close(self) -> None:
        self.write(None)


class _H264Sink(_Sink):
    def __init__(self, container: av.container.OutputContainer, encoder: FrameEncoder) -> None:
        super().__init__(container, encoder, "libx264", "yuv420p", H264_OPTIONS)


class _GifSink(_Sink):
    """Frames into a GIF, each with a palette of its own made for it (FFmpeg's palettegen and
    paletteuse): the app's few colours stay exact, where one fixed palette would dither them."""

    def __init__(self, container: av.container.OutputContainer, encoder: FrameEncoder) -> None:
        import av.filter

        super().__init__(container, encoder, "gif", "pal8", {})
        width, height = encoder.size
        self.graph = av.filter.Graph()
        source = self.graph.add_buffer(width=width, height=height,
                                       format=av.VideoFormat("rgb24"),
                                       time_base=encoder.time_base)
        split = self.graph.add("split")
        palette = self.graph.add("palettegen", "stats_mode=single")
        use = self.graph.add("paletteuse", "new=1")
        source.link_to(split)
        split.link_to(palette, 0, 0)
        split.link_to(use, 1, 0)
        palette.link_to(use, 0, 1)
        use.link_to(self.graph.add("buffersink"))
        self.graph.configure()

    def write(self, frame: av.VideoFrame | None) -> None:
        import av

        self.graph.push(frame)
        while True:
            try:
                paletted = self.graph.pull()
            except (av.BlockingIOError, av.EOFError):
                return
            super().write(cast("av.VideoFrame", paletted))  # a video graph gives video

    def close(self) -> None:
        self.write(None)  # the filters' last frames
        super().close()
