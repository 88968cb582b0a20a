"""Write a fixed file back: only over the bytes that were analysed, through symbolic links,
keeping the owner, the mode and every hard link, and only where the user may write.

The new bytes go to a temporary file next to the real file (a symbolic link is followed to
its target, so the link stays a link and the target is fixed), which gets the file's owner
and mode, is synced, and replaces the file with ``os.replace``: a run killed at any moment
leaves either the old or the new file, whole. A file with several hard links is skipped:
replacing it would split it from its other names, and writing it in place could leave it
truncated. Just before the replace the file is read again; if its bytes are no longer the
ones analysed (an editor saved it meanwhile), it is skipped, so no edit is ever overwritten.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile

from concurlint.files import Unreadable, read_bytes

_ANY_WRITE = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


class NotWritten(Exception):
    """Why a fixed file was left as it is, as one line for the user."""


def write_back(path: str, analysed: bytes, data: bytes) -> None:
    """Replace the file at ``path`` (its target, for a symbolic link) by ``data`` if it still
    holds ``analysed``; raises ``NotWritten`` with the reason otherwise."""
    target = os.path.realpath(path)
    try:
        info = os.stat(target)
    except OSError as error:
        raise NotWritten(f"{path}: cannot write the fix: {_reason(error)}") from error
    _check_writable(path, target, info)
    handle, temporary = _temporary_next_to(path, target)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            _keep_owner_and_mode(path, stream.fileno(), info)
            os.fsync(stream.fileno())
        current = read_bytes(target)
        if isinstance(current, Unreadable) or current != analysed:
            raise NotWritten(f"{path}: not fixed: the file changed during the run")
        os.replace(temporary, target)
    except OSError as error:
        _discard(temporary)
        raise NotWritten(f"{path}: cannot write the fix: {_reason(error)}") from error
    except BaseException:
        _discard(temporary)
        raise


def _discard(temporary: str) -> None:
    """Remove the temporary file; failing to must not hide why the write failed."""
    with contextlib.suppress(OSError):
        os.unlink(temporary)


def _check_writable(path: str, target: str, info: os.stat_result) -> None:
    """The user's own right to write (``os.access``, not the owner's bit), a file that is
    read-only for everyone (even for root, who may write it: it says "do not change me"),
    and hard links."""
    if not stat.S_ISREG(info.st_mode):
        raise NotWritten(f"{path}: not fixed: not a regular file")
    if not info.st_mode & _ANY_WRITE:
        raise NotWritten(f"{path}: not fixed: the file is read-only")
    if not os.access(target, os.W_OK, effective_ids=os.access in os.supports_effective_ids):
        raise NotWritten(f"{path}: not fixed: permission denied")
    if info.st_nlink > 1:
        raise NotWritten(
            f"{path}: not fixed: the file has {info.st_nlink} hard links, which a replaced "
            "file would no longer share"
        )


def _temporary_next_to(path: str, target: str) -> tuple[int, str]:
    folder = os.path.dirname(target)
    try:
        return tempfile.mkstemp(dir=folder, prefix=".concurlint-", suffix=".tmp")
    except OSError as error:
        raise NotWritten(f"{path}: cannot write the fix: {_reason(error)}") from error


def _keep_owner_and_mode(path: str, handle: int, info: os.stat_result) -> None:
    """Give the new file the old one's owner and group (the owner before the mode: a change
    of owner clears the set-user-ID bit); one we may not give it means the file is not ours
    to replace."""
    created = os.fstat(handle)
    if (created.st_uid, created.st_gid) != (info.st_uid, info.st_gid):
        try:
            os.fchown(handle, info.st_uid, info.st_gid)
        except PermissionError as error:
            raise NotWritten(
                f"{path}: not fixed: a replaced file could not keep its owner and group"
            ) from error
    os.fchmod(handle, stat.S_IMODE(info.st_mode))


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
