"""Finding a display before Qt does, so a missing one gives a clear line instead of an abort.

Qt's xcb plugin aborts with a cryptic message when system libraries are missing (on a bare
Linux machine, libxcb-cursor0 and friends). We look first, say what is missing and how to
install it, and fall back to the offscreen platform only when the user asked for headless
output (a screenshot, or a timed run).
"""

from __future__ import annotations

import ctypes
import os
import sys

# The shared libraries Qt 6's xcb platform plugin loads, and the Debian/Ubuntu packages that
# provide them.
XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libfontconfig.so.1": "libfontconfig1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
}


def _loadable(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_xcb_packages() -> list[str]:
    """Debian packages whose libraries the xcb plugin needs but cannot load."""
    return [package for soname, package in XCB_LIBRARIES.items() if not _loadable(soname)]


def prepare_platform(headless: bool) -> str | None:
    """Choose the Qt platform before QApplication exists; a message means: cannot run.

    With ``headless`` (a screenshot or a timed run was asked for) and no display, the
    offscreen platform is used. An explicit QT_QPA_PLATFORM is always respected.
    """
    if os.environ.get("QT_QPA_PLATFORM") or not sys.platform.startswith("linux"):
        return None
    has_x = bool(os.environ.get("DISPLAY"))
    has_wayland = bool(os.environ.get("WAYLAND_DISPLAY"))
    if not has_x and not has_wayland:
        if headless:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
            return None
        return ("no display found: run Backprop Studio on a desktop, or give --screenshot PATH "
                "or --quit-after SECONDS to run it without one")
    if has_x and not has_wayland:
        missing = missing_xcb_packages()
        if missing:
            if headless:
                os.environ["QT_QPA_PLATFORM"] = "offscreen"
                return None
            return ("Qt cannot open the X display because system libraries are missing; "
                    f"install them with: sudo apt install {' '.join(missing)}")
    return None
