"""The app's icon and its desktop entry, installed on request
(`backprop-studio --install-desktop-entry`) into a temporary home."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gui import app
from gui.desktop_entry import entry_text, icon_path, quoted


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    return tmp_path


def entry_keys(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if line)


def test_the_icon_is_an_svg_image():
    assert icon_path().is_file()
    assert icon_path().read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert "<svg" in icon_path().read_text(encoding="utf-8")


def test_install_writes_the_entry_and_the_icon_under_the_users_data_folder(home, capsys):
    assert app.main(["--install-desktop-entry"]) == 0
    entry = home / ".local" / "share" / "applications" / "backprop-studio.desktop"
    icon = home / ".local" / "share" / "icons" / "hicolor" / "scalable" / "apps" / \
        "backprop-studio.svg"
    assert icon.read_bytes() == icon_path().read_bytes()
    keys = entry_keys(entry)
    assert keys["Type"] == "Application" and keys["Name"] == "Backprop Studio"
    assert keys["Icon"] == str(icon) and keys["Terminal"] == "false"
    assert keys["Exec"].endswith(" %f")
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"wrote {icon}", f"wrote {entry}"]
    assert app.main(["--install-desktop-entry"]) == 0  # again: replaced, not duplicated
    assert sorted(p.name for p in entry.parent.iterdir()) == ["backprop-studio.desktop"]


def test_install_follows_xdg_data_home(home, monkeypatch, capsys):
    data = home / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    assert app.main(["--install-desktop-entry"]) == 0
    assert (data / "applications" / "backprop-studio.desktop").is_file()
    assert not (home / ".local").exists()


def test_a_read_only_entry_is_refused_in_one_line_and_left_as_it_was(home, capsys):
    entry = home / ".local" / "share" / "applications" / "backprop-studio.desktop"
    entry.parent.mkdir(parents=True)
    entry.write_text("mine", encoding="utf-8")
    os.chmod(entry, stat.S_IRUSR)
    assert app.main(["--install-desktop-entry"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "read-only" in error and "backprop-studio.desktop" in error
    assert entry.read_text(encoding="utf-8") == "mine"


def test_the_exec_line_quotes_what_the_specification_asks():
    assert quoted("/usr/bin/backprop-studio") == "/usr/bin/backprop-studio"
    assert quoted("/home/a b/python") == '"/home/a b/python"'
    assert quoted('/x/"$1"') == '"/x/\\"\\$1\\""'
    assert quoted("/x/100%") == '"/x/100%%"'
    text = entry_text(["/home/a b/python", "-m", "gui"], Path("/i.svg"))
    assert 'Exec="/home/a b/python" -m gui %f' in text.splitlines()
