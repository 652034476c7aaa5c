"""Actions from one table: each action once (its name, text, keys, tip and slot), and menus
and toolbars that list actions by name.

Every action is added to the window as well, so its keys work wherever the focus is, and the
shortcut sheet (gui.shortcuts) lists them in the table's order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar, QWidget


@dataclass(frozen=True)
class ActionSpec:
    """One row of an action table."""

    name: str  # what menus and toolbars call it
    text: str
    slot: Callable[..., object]
    keys: tuple[str, ...] = ()  # shortcuts, the first one named in the tip
    tip: str = ""  # the text, if empty
    checkable: bool = False


def make_action(host: QWidget, spec: ActionSpec) -> QAction:
    """The action of ``spec``, added to ``host``; its keys work anywhere in the app."""
    action = QAction(spec.text, host)
    tip = spec.tip or spec.text
    if spec.keys:
        action.setShortcuts([QKeySequence(key) for key in spec.keys])
        action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        tip = f"{tip} ({action.shortcut().toString()})"
    action.setToolTip(tip)
    action.setCheckable(spec.checkable)
    action.triggered.connect(spec.slot)
    host.addAction(action)
    return action


def make_actions(host: QWidget, table: Iterable[ActionSpec]) -> dict[str, QAction]:
    """The actions of a table, by name (each name once)."""
    actions: dict[str, QAction] = {}
    for spec in table:
        if spec.name in actions:
            raise ValueError(f"the action {spec.name!r} is in the table twice")
        actions[spec.name] = make_action(host, spec)
    return actions


# A menu's or toolbar's entries: names of actions or submenus, None for a separator.
Entries = Iterable[str | None]


def fill(target: QMenu | QToolBar, entries: Entries, named: Mapping[str, QAction | QMenu]
         ) -> None:
    """Add the named actions and submenus to a menu or a toolbar, in order."""
    for name in entries:
        if name is None:
            target.addSeparator()
            continue
        item = named[name]
        target.addAction(item.menuAction() if isinstance(item, QMenu) else item)
