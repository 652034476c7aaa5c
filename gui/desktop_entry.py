"""The app's icon, and a Linux desktop entry installed on request
(``backprop-studio --install-desktop-entry``), so that the app appears in the desktop's
application menu with its own name and icon, not as a script.

The entry follows the freedesktop.org Desktop Entry specification; it and the icon are written
under $XDG_DATA_HOME (default ~/.local/share) by sim.files' rules: atomically, only over a
regular file, never over a read-only one.
"""

from __future__ import annotations

import os
import shutil
import sys
from importlib import resources
from pathlib import Path

from sim.files import WriteError, write_atomic

APP_ID = "backprop-studio"
ICON_NAME = f"{APP_ID}.svg"


def icon_path() -> Path:
    """The app's icon (SVG): the installed assets', or the source checkout's."""
    checkout = Path(__file__).resolve().parents[1] / "assets" / "icons" / ICON_NAME
    if checkout.is_file():
        return checkout
    return Path(str(resources.files("backprop_studio_assets") / "icons" / ICON_NAME))


def data_home() -> Path:
    """$XDG_DATA_HOME if it is an absolute path (as the specification asks), else
    ~/.local/share."""
    configured = os.environ.get("XDG_DATA_HOME", "")
    return Path(configured) if os.path.isabs(configured) else Path.home() / ".local" / "share"


def launch_command() -> list[str]:
    """How the desktop starts the app: the installed command, else this Python with -m gui."""
    installed = shutil.which(APP_ID)
    return [installed] if installed else [sys.executable, "-m", "gui"]


def quoted(argument: str) -> str:
    """An argument of the entry's Exec key, quoted by the specification's rules."""
    if argument and not any(c in argument for c in ' \t\n"\'\\><~|&;$*?#()`%'):
        return argument
    escaped = "".join(f"\\{c}" if c in '"`$\\' else c for c in argument)
    return f'"{escaped.replace("%", "%%")}"'


def entry_text(command: list[str], icon: Path) -> str:
    exec_line = " ".join(quoted(argument) for argument in command)
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.5",
        "Name=Backprop Studio",
        "GenericName=Neural network simulator",
        "Comment=Watch a neural network learn by backpropagation",
        f"Exec={exec_line} %f",
        f"Icon={icon}",
        "Terminal=false",
        "Categories=Education;Science;ArtificialIntelligence;",
        "MimeType=application/json;",
        "StartupWMClass=backprop-studio",
        "",
    ])


def install_desktop_entry() -> list[Path]:
    """Write the icon and the desktop entry under the user's data folder; the files written.
    WriteError (one line naming the file) if one cannot be."""
    home = data_home()
    icon = home / "icons" / "hicolor" / "scalable" / "apps" / ICON_NAME
    entry = home / "applications" / f"{APP_ID}.desktop"
    for target, content in ((icon, icon_path().read_bytes()),
                            (entry, entry_text(launch_command(), icon).encode("utf-8"))):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise WriteError(target.parent, error.strerror or str(error)) from None
        write_atomic(target, content)
    return [icon, entry]
