"""A small cache of what was read from files, valid while each file is unchanged.

Reading a file and making sense of it (a CSV table) can be slow, and several parts of the
program may ask for the same file, on different threads: the facts of the data when an
experiment is checked, the data itself when its trainer is built. `FileCache` lets them share
one read. A result is found again by the file's resolved path, identity (device and inode),
size and modification and change times; any change to the file gives a new key, so it is read
afresh. A file modified less than `RECENT` seconds before it was read is never kept: a second
change within one tick of a coarse file-system clock could leave every part of the key as it
was. Only regular files are kept; reading anything else (a folder, a device, a missing file)
goes straight to ``read``, which reports the problem as it would without a cache.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

Result = TypeVar("Result")

RECENT = 2.0  # seconds; FAT's clock ticks every 2 s, most others far more often


class FileCache(Generic[Result]):
    """``read(path)`` through a bounded, thread-safe cache: at most ``capacity`` results, of
    ``max_weight`` in all as ``weight`` measures them (a result heavier than that is returned
    but not kept). ``reads`` counts the calls of ``read``: the files actually read."""

    def __init__(self, read: Callable[[Path], Result], weight: Callable[[Result], int],
                 capacity: int, max_weight: int) -> None:
        self._read = read
        self._weight = weight
        self.capacity = capacity
        self.max_weight = max_weight
        self._results: OrderedDict[tuple, Result] = OrderedDict()
        self._lock = threading.Lock()
        self.reads = 0

    def get(self, path: Path) -> Result:
        """What ``read`` gives for ``path``: kept from an earlier read of the unchanged file, or
        read now (and then kept unless the file was modified moments ago)."""
        started = time.time_ns()
        state = _file_state(path)
        with self._lock:
            if state is not None and state[0] in self._results:
                self._results.move_to_end(state[0])
                return self._results[state[0]]
            self.reads += 1
        result = self._read(path)
        if state is not None and state[1] < started - int(RECENT * 1e9):
            self._keep(state[0], result)
        return result

    def clear(self) -> None:
        with self._lock:
            self._results.clear()

    def _keep(self, key: tuple, result: Result) -> None:
        with self._lock:
            self._results[key] = result
            while len(self._results) > self.capacity or \
                    sum(map(self._weight, self._results.values())) > self.max_weight:
                self._results.popitem(last=False)  # the least recently used


def _file_state(path: Path) -> tuple[tuple, int] | None:
    """What identifies a regular file's present content, and its modification time (ns);
    None for anything else."""
    try:
        info = os.stat(path)
        resolved = os.path.realpath(path)
    except (OSError, ValueError):  # the read reports it, as it would without a cache
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    key = (resolved, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns,
           info.st_ctime_ns)
    return key, info.st_mtime_ns
