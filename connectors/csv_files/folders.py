"""Listing, testing and moving files in the configured folders, with errors in plain words.

A missing folder is transient (a network share may come back); a refused permission is the hub's
identity being refused, so ``AuthenticationError``, permanent.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from connectors.base import AuthenticationError, ConnectorError, UnreachableError

# A file moved into a folder that already holds that name gets -2, -3 ... up to this.
_MAX_SAME_NAME = 1000


@dataclass(frozen=True)
class Stamp:
    """What tells one version of a file from another: its size and modification time."""

    size: int
    mtime_ns: int


@dataclass(frozen=True)
class FileInfo:
    name: str
    path: Path
    stamp: Stamp


def folder_error(error: OSError, folder: Path, doing: str) -> ConnectorError:
    if isinstance(error, FileNotFoundError):
        return UnreachableError(f"The folder {folder} does not exist (or is not mounted).")
    if isinstance(error, NotADirectoryError):
        return ConnectorError(f"{folder} is not a folder.", permanent=True)
    if isinstance(error, PermissionError):
        return AuthenticationError(f"The hub may not {doing} {folder} (permission denied).")
    if error.errno == errno.ENOSPC:
        return ConnectorError(f"Could not {doing} {folder}: the disk is full.", permanent=False)
    reason = error.strerror or type(error).__name__
    return ConnectorError(f"Could not {doing} {folder}: {reason}.", permanent=False)


def list_files(folder: Path, pattern: str) -> list[FileInfo]:
    """The regular files matching ``pattern`` (case-insensitively), by name; dot files are skipped."""
    try:
        with os.scandir(folder) as entries:
            files = [_info(entry) for entry in entries if _wanted(entry, pattern)]
    except OSError as error:
        raise folder_error(error, folder, "read the folder") from None
    return sorted(files, key=lambda info: info.name)


def _wanted(entry: os.DirEntry[str], pattern: str) -> bool:
    if entry.name.startswith(".") or not fnmatchcase(entry.name.lower(), pattern.lower()):
        return False
    return entry.is_file()


def _info(entry: os.DirEntry[str]) -> FileInfo:
    status = entry.stat()
    return FileInfo(entry.name, Path(entry.path), Stamp(status.st_size, status.st_mtime_ns))


def check_writable(folder: Path) -> None:
    """Create and remove a small file: the only sure test (permissions, read-only mounts, quotas)."""
    probe = folder / f".hub-probe-{secrets.token_hex(6)}"
    try:
        descriptor = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(descriptor)
        os.unlink(probe)
    except OSError as error:
        raise folder_error(error, folder, "write to") from None


def move_to(file: FileInfo, folder: Path) -> None:
    """Move a read file out of the way; a file someone else has already taken away is left alone."""
    if not file.path.exists():
        return
    try:
        shutil.move(file.path, _free_name(folder, file.name))
    except OSError as error:
        raise folder_error(error, folder, f"move {file.name} into") from None


def _free_name(folder: Path, name: str) -> Path:
    stem, suffix = os.path.splitext(name)
    for number in range(1, _MAX_SAME_NAME + 1):
        candidate = folder / (name if number == 1 else f"{stem}-{number}{suffix}")
        if not candidate.exists():
            return candidate
    raise ConnectorError(f"{folder} already holds {_MAX_SAME_NAME} files named like {name}.", permanent=True)
