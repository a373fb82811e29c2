"""Scratch folders a killed process leaves are removed by the next one, and only those."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pexmail import scratch


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.skipif(not Path("/proc/self/ns/pid").exists(), reason="needs /proc PID namespaces")
def test_folders_of_dead_processes_of_this_namespace_are_removed(tmp_path):
    namespace = Path("/proc/self/ns/pid").stat().st_ino
    dead = dead_pid()
    orphan = tmp_path / f"pexmail-cases-{namespace}-{dead}-abc"
    live = tmp_path / f"pexmail-cases-{namespace}-{os.getpid()}-abc"
    elsewhere = tmp_path / f"pexmail-cases-{namespace + 1}-{dead}-abc"
    unrelated = tmp_path / f"other-cases-{namespace}-{dead}-abc"
    for folder in (orphan, live, elsewhere, unrelated):
        folder.mkdir()
        (folder / "cases.sqlite").write_bytes(b"data")
    link = tmp_path / f"pexmail-typst-{namespace}-{dead}-link"
    link.symlink_to(live)

    assert scratch.remove_orphans(tmp_path) == [orphan]
    assert not orphan.exists()
    assert live.exists() and elsewhere.exists() and unrelated.exists() and link.is_symlink()
    assert (live / "cases.sqlite").exists()


def test_a_new_folder_is_private_and_named_after_its_process(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    folder = scratch.private_folder("cases")
    assert folder.parent == tmp_path
    assert f"-{os.getpid()}-" in folder.name and folder.name.startswith("pexmail-cases-")
    assert folder.stat().st_mode & 0o777 == 0o700
    with pytest.raises(ValueError):
        scratch.private_folder("../x")
