"""Output files: written atomically (temporary file, then rename), readable by the owner only.

A batch killed halfway leaves either a whole file or none, never half a PDF;
letters hold personal data, so other users of the machine cannot read them.
"""

from __future__ import annotations

import ctypes
import os
import re
import tempfile
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def ensure_dir(path: Path) -> Path:
    """Create ``path`` and any missing parent, each private (``mkdir -p`` would give the
    parents the umask's default, often world-readable)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:  # another run created it meanwhile
            pass
        else:
            folder.chmod(DIR_MODE)  # the umask may have removed bits; never added any
    if not path.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(path))
    return path


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """``durable=False`` skips the per-file fsync: a batch writing thousands of letters
    flushes them once per chunk (:func:`sync_folder`) before its ledger records them."""
    ensure_dir(path.parent)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        Path(temporary).chmod(FILE_MODE)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def sync_folder(path: Path) -> None:
    """Flush every file written under ``path`` to disk: one syncfs(2) for the whole file
    system on Linux (instead of one fsync per file), a global sync elsewhere."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        handle = os.open(path, os.O_RDONLY)
        try:
            if libc.syncfs(handle) == 0:
                return
        finally:
            os.close(handle)
    except (OSError, AttributeError):
        pass
    os.sync()


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str) -> str:
    """A file-name part from an id (case ids come from partners' files)."""
    return _UNSAFE.sub("_", text).strip("._")[:80] or "x"


def document_path(household_key: str, letter_id: str, version: str, extension: str) -> str:
    """Relative path of one household's letter: ``letters/<letter>/<household>-v<version>.<ext>``.

    Named by the opaque household key, never by a name or address.
    """
    return f"letters/{safe_name(letter_id)}/{safe_name(household_key)}-v{safe_name(version)}.{extension}"
