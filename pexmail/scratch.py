"""Private scratch folders in the temporary folder, named after the process that owns them.

A batch keeps its cases in a scratch folder while it runs (:mod:`pexmail.households.staging`)
and Typst compiles in one (:mod:`pexmail.render.typst`). A process killed outright (SIGKILL,
the out-of-memory killer, a power cut) runs no cleanup, so its folders stay, the cases with
them. Each folder's name carries the owner's process id and PID namespace: the next pexmail
process removes the folders whose owner is gone. A folder of a live process, or of another
PID namespace (another container sharing the temporary folder), is never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

_NAME = re.compile(r"pexmail-(?P<kind>[a-z]+)-(?P<namespace>\d+)-(?P<pid>\d+)-")


def _namespace() -> int:
    """This process's PID namespace (0 where /proc does not say)."""
    try:
        return Path("/proc/self/ns/pid").stat().st_ino
    except OSError:
        return 0


def private_folder(kind: str) -> Path:
    """A new folder only this user can read, after removing those dead processes left."""
    if not kind.isalpha() or not kind.islower():
        raise ValueError(f"scratch folder kind must be lowercase letters: {kind!r}")
    remove_orphans()
    # mkdtemp makes the folder 0700: the cases in it hold personal data.
    return Path(tempfile.mkdtemp(prefix=f"pexmail-{kind}-{_namespace()}-{os.getpid()}-"))


def remove_orphans(root: Path | None = None) -> list[Path]:
    """Remove the scratch folders of processes of this namespace that no longer run."""
    namespace = _namespace()
    if not namespace:
        return []  # process ids cannot be told apart from another namespace's
    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob("pexmail-*-*-*-*"):
        match = _NAME.match(folder.name)
        if not match or int(match["namespace"]) != namespace or _running(int(match["pid"])):
            continue
        try:
            if folder.is_symlink() or folder.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
