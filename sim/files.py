"""The files a user names: read only regular files, within a limit; write them atomically.

Reading (`read_regular`): only a regular file is read. Opening a FIFO waits for a writer that
may never come, and a device may never end, so anything else is refused at once, without
waiting (the file is opened non-blocking and checked before a byte is read).

Writing (`write_atomic`, or `replacing` for a writer that streams), the rules every save
follows:

- the new text goes to a temporary file in the target's folder, which is then renamed over
  the target: a reader sees the old file or the new one, never half of one, and a failed or
  interrupted save leaves the old file as it was;
- only a regular file (or a path where nothing is yet) is ever replaced: a folder, a FIFO, a
  device or a socket is refused, and so is a symbolic link loop. A symbolic link is followed:
  the file it points to is replaced;
- a read-only file (one without write permission) is not replaced unless the caller says so
  (the app asks the user first);
- the temporary name is short whatever the target's name, so that any name the file system
  allows can be saved; temporaries that an interrupted save left behind (its process killed)
  are removed by the next save into the same folder.

Every refusal is a `WriteError`, one line naming the file and the reason.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .schema import one_line

# In the names of save's temporary files: ".<start of the name>.bps-save-<pid>-<random>.tmp".
TEMPORARY_MARK = ".bps-save-"
TEMPORARY_SUFFIX = ".tmp"
NAME_START_BYTES = 40  # of the target's name kept in a temporary's name (NAME_MAX is 255)
# A leftover temporary is removed only when its process has ended and it is at least this old
# (on a network folder another machine's process of the same number may still be writing).
STALE_SECONDS = 60.0
LONGEST_SHOWN_PATH = 300  # characters of a path a message shows; a longer one is cut


class WriteError(OSError):
    """A file that was not written, and why, in one line; whatever was there is unchanged."""

    def __init__(self, path: str | os.PathLike, problem: str) -> None:
        super().__init__(problem)
        self.strerror = problem
        self.filename = os.fspath(path)

    def __str__(self) -> str:
        return one_line(f"cannot write {path_text(self.filename)}: {self.strerror}")


def path_text(path: str | os.PathLike | bytes) -> str:
    """A path as a message shows it: bytes that are not UTF-8 as \\xff escapes (a terminal that
    only takes UTF-8 would refuse the name), control characters escaped, a very long path cut
    in the middle."""
    raw = os.fsencode(path)
    text = one_line(raw.decode("utf-8", "backslashreplace"))
    if len(text) > LONGEST_SHOWN_PATH:
        half = LONGEST_SHOWN_PATH // 2
        text = f"{text[:half]}...{text[-half:]}"
    return text


def kind_of_file(mode: int) -> str:
    """What a file that is not a regular file is, for a message."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (a named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


# ---------------------------------------------------------------------------- reading

@contextlib.contextmanager
def _regular_file(path: str | os.PathLike) -> Iterator[tuple[int, os.stat_result]]:
    """An open handle on the regular file at ``path`` and its status; OSError if it cannot be
    opened or is not a regular file (its ``strerror`` says which)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    handle = os.open(path, flags)  # non-blocking: opening a FIFO returns at once
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, f"it is {kind_of_file(info.st_mode)}, not a regular "
                                        "file", os.fspath(path))
        yield handle, info
    finally:
        os.close(handle)


def read_regular(path: str | os.PathLike, limit: int) -> bytes | None:
    """The bytes of the regular file at ``path``, or None if it holds more than ``limit``.

    OSError if it cannot be opened or is not a regular file (its ``strerror`` says which).
    """
    with _regular_file(path) as (handle, info):
        if info.st_size > limit:
            return None
        # One read of the size the file has, and one byte more: the file may have grown.
        data, more = _read_up_to(handle, limit, info.st_size + 1)
        return None if more else data


def read_regular_head(path: str | os.PathLike, size: int) -> tuple[bytes, bool]:
    """The first ``size`` bytes of the regular file at ``path`` (all of it if it is shorter),
    and whether it holds more. OSError as ``read_regular``."""
    with _regular_file(path) as (handle, _):
        return _read_up_to(handle, size, size + 1)


def _read_up_to(handle: int, limit: int, first: int) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes from ``handle`` and whether it holds more: a first read of
    ``first`` bytes, then reads of at most a megabyte (a read may return less than asked)
    until the end or one byte past the limit."""
    chunks: list[bytes] = []
    total, ask = 0, first
    while total <= limit:
        chunk = os.read(handle, min(ask, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        ask = 1 << 20
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return data[:limit], total > limit


# ---------------------------------------------------------------------------- writing

def output_target(path: str | os.PathLike) -> Path:
    """The file a save to ``path`` replaces or creates (a symbolic link followed to the file it
    points to); WriteError if nothing may be written there."""
    try:
        target = Path(path).resolve()
    except RuntimeError:  # Python 3.11 reports a symbolic link loop so
        raise WriteError(path, "a symbolic link loop") from None
    except OSError as error:
        raise WriteError(path, error.strerror or str(error)) from None
    try:
        info = os.stat(target)
    except FileNotFoundError:
        _check_folder(path, target.parent)
        return target
    except OSError as error:  # a name too long, a loop, a path through a file
        raise WriteError(path, _reason(error)) from None
    if not stat.S_ISREG(info.st_mode):
        raise WriteError(path, f"it is {kind_of_file(info.st_mode)}; only a regular file is "
                               "replaced")
    return target


def _check_folder(path: str | os.PathLike, folder: Path) -> None:
    try:
        info = os.stat(folder)
    except FileNotFoundError:
        raise WriteError(path, "its folder does not exist") from None
    except OSError as error:
        raise WriteError(path, _reason(error)) from None
    if not stat.S_ISDIR(info.st_mode):
        raise WriteError(path, f"its folder {path_text(folder)} is not a folder")


def _reason(error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "a symbolic link loop"
    return error.strerror or str(error)


def is_read_only(path: str | os.PathLike) -> bool:
    """Whether ``path`` is an existing file that may not be written: no one has write
    permission (as ``chmod 444`` leaves it; root, who may write anyway, is held to that too),
    or this user has none."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISREG(mode) and (not mode & 0o222 or not os.access(path, os.W_OK))


def writable_target(path: str | os.PathLike, *, replace_read_only: bool = False) -> Path:
    """`output_target`, and a read-only file there refused unless ``replace_read_only``."""
    target = output_target(path)
    if not replace_read_only and is_read_only(target):
        mode = stat.filemode(os.stat(target).st_mode)
        raise WriteError(path, f"it is read-only ({mode[1:]}); make it writable first")
    return target


def same_file(first: str | os.PathLike, second: str | os.PathLike) -> bool:
    """Whether two paths name one file (through links), whether or not it exists yet."""
    with contextlib.suppress(OSError, ValueError):
        return os.path.samefile(first, second)
    with contextlib.suppress(OSError, RuntimeError, ValueError):
        return Path(first).resolve() == Path(second).resolve()
    return False


def write_atomic(path: str | os.PathLike, content: bytes, *,
                 replace_read_only: bool = False) -> None:
    """Replace (or create) the file at ``path`` with ``content``, by the rules of this
    module's docstring; WriteError naming the reason if it is not written."""
    with replacing(path, replace_read_only=replace_read_only) as temporary:
        temporary.stream.write(content)


@dataclass(frozen=True)
class Temporary:
    """The file a save writes before it is renamed over its target: an open stream, and its
    path for a writer that opens the file itself (an encoder that seeks back, say)."""

    stream: BinaryIO
    path: str


@contextlib.contextmanager
def replacing(path: str | os.PathLike, *,
              replace_read_only: bool = False) -> Iterator[Temporary]:
    """A temporary file beside ``path`` to write in the ``with`` block; when the block ends
    it is synced and renamed over ``path`` (by the rules of this module's docstring). If the
    block raises, the temporary is removed and whatever was at ``path`` stays; an OSError
    becomes a WriteError naming the reason."""
    target = writable_target(path, replace_read_only=replace_read_only)
    exists = target.exists()
    try:
        handle, temporary = _create_beside(target)
    except OSError as error:
        raise WriteError(path, _reason(error)) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            if exists:  # keep the permissions of the file being replaced
                os.chmod(temporary, stat.S_IMODE(target.stat().st_mode))
            yield Temporary(stream, temporary)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError) and not isinstance(error, WriteError):
            raise WriteError(path, _reason(error)) from None
        raise
    remove_leftovers(target.parent)


def _create_beside(target: Path) -> tuple[int, str]:
    """A new, empty file in ``target``'s folder, open for writing.

    Created with mode 0o666 so that the umask decides, as for any new file (tempfile.mkstemp
    would make it 0o600, and a saved lesson unreadable to everyone else). Its name holds only
    the start of the target's, so that it is never longer than the file system allows.
    """
    start = os.fsencode(target.name)[:NAME_START_BYTES].decode("utf-8", "ignore")
    name = f".{start}{TEMPORARY_MARK}{os.getpid()}-{os.urandom(4).hex()}{TEMPORARY_SUFFIX}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)  # as mkstemp
    path = os.path.join(target.parent, name)
    return os.open(path, flags, 0o666), path


def remove_leftovers(folder: Path) -> list[str]:
    """Remove the temporaries of saves into ``folder`` whose process has ended (a save killed
    before it could clean up), once they are `STALE_SECONDS` old; the names removed."""
    removed = []
    now = time.time()
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            owner = _temporary_owner(entry.name)
            if owner is None or _process_exists(owner):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and \
                        now - entry.stat(follow_symlinks=False).st_mtime >= STALE_SECONDS:
                    os.unlink(entry.path)
                    removed.append(entry.name)
    return removed


def _temporary_owner(name: str) -> int | None:
    """The process number in a save's temporary name; None for any other name."""
    if not (name.startswith(".") and name.endswith(TEMPORARY_SUFFIX)) or \
            TEMPORARY_MARK not in name:
        return None
    tail = name[name.rindex(TEMPORARY_MARK) + len(TEMPORARY_MARK):-len(TEMPORARY_SUFFIX)]
    number, _, random = tail.partition("-")
    if not (number.isdigit() and len(random) == 8 and all(c in "0123456789abcdef"
                                                          for c in random)):
        return None
    return int(number)


def _process_exists(number: int) -> bool:
    """Whether the process may still run (elsewhere than on POSIX, always: Windows' os.kill
    would end it)."""
    if number == os.getpid() or os.name != "posix":
        return True
    try:
        os.kill(number, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process, or one we cannot ask about: leave it
    return True
