"""The two versions a diff compares, each loaded as a :class:`Catalog`.

A version is a catalogue with its templates and contact directories:

* a git revision of the repository: ``catalog.yaml``, ``templates/`` and the
  contact directories as committed, extracted with ``git archive`` into a
  temporary folder (the working tree is never touched, so a reviewer can diff
  while editing);
* the working tree (the catalogue as it is on disk);
* a catalogue file given by path;
* the base catalogue with one template file replaced by a given file.

Temporary folders live as long as the :class:`VersionPair` context.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import yaml

from pexmail.catalog.load import TEMPLATE_DIR, Catalog, load_catalog
from pexmail.errors import CatalogError, PexmailError

WORKING_TREE = "working tree"


class VersionError(PexmailError):
    """A version that cannot be read: unknown revision, not a repository, missing file."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def format_message(self) -> str:
        return self.message


@dataclass(frozen=True)
class Version:
    label: str  # what the reviewer named: « HEAD (3f2a9c1) », « working tree », a path
    catalog: Catalog


class VersionPair:
    """Both versions, and the temporary folders they were extracted to."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self.before: Version | None = None
        self.after: Version | None = None

    def tempdir(self, prefix: str) -> Path:
        return Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))

    def __enter__(self) -> VersionPair:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stack.close()

    @property
    def pair(self) -> tuple[Version, Version]:
        assert self.before is not None and self.after is not None
        return self.before, self.after


def _load(path: Path, label: str) -> Catalog:
    try:
        return load_catalog(path)
    except CatalogError as exc:
        raise VersionError(
            f"{label}: the catalogue is not valid:\n{exc.format_message()}"
        ) from None


# --- git revisions ------------------------------------------------------------


def _git(cwd: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, check=False, timeout=120
        )
    except FileNotFoundError:
        raise VersionError("git is not installed: --from/--to need git") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise VersionError(f"git {args[0]}: {message[-1] if message else 'failed'}")
    return done.stdout


def repository_of(catalog_path: Path) -> tuple[Path, str]:
    """The git work tree holding ``catalog_path``, and the catalogue's path inside it."""
    folder = catalog_path.resolve().parent
    try:
        top = Path(_git(folder, "rev-parse", "--show-toplevel").decode().strip())
    except VersionError:
        raise VersionError(
            f"{catalog_path} is not in a git repository: compare two files with "
            "--catalogs A.yaml B.yaml or --templates A B"
        ) from None
    return top, catalog_path.resolve().relative_to(top.resolve()).as_posix()


def revision_version(catalog_path: Path, rev: str, pair: VersionPair) -> Version:
    """The catalogue, templates and contact directories as committed at ``rev``."""
    top, relative = repository_of(catalog_path)
    try:
        commit = _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
    except VersionError:
        commit = ""
    if not commit:
        raise VersionError(f"unknown revision {rev!r} (a commit, branch or tag of {top})")
    try:
        text = _git(top, "show", f"{commit}:{relative}").decode("utf-8")
    except VersionError:
        raise VersionError(f"{relative} does not exist at revision {rev}") from None
    except UnicodeDecodeError:
        raise VersionError(f"{relative} at revision {rev} is not UTF-8 text") from None
    folder = Path(relative).parent
    wanted = {folder / Path(relative).name, folder / TEMPLATE_DIR}
    try:
        document = yaml.safe_load(text)
        directories = document["contacts"]["directories"]
        wanted.update(folder / name for name in directories if isinstance(name, str))
    except (yaml.YAMLError, KeyError, TypeError):
        pass  # the loader reports what is wrong with this catalogue
    listed = (
        _git(top, "ls-tree", "-r", "--name-only", "-z", commit, "--", *map(str, wanted))
        .decode("utf-8")
        .split("\0")
    )
    files = [name for name in listed if name]
    target = pair.tempdir("pexmail-diff-")
    if files:
        archive = _git(top, "archive", "--format=tar", commit, "--", *files)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    label = f"{rev} ({commit[:7]})" if not commit.startswith(rev) else commit[:7]
    return Version(label, _load(target / relative, label))


def working_tree_version(catalog_path: Path) -> Version:
    return Version(WORKING_TREE, _load(catalog_path, WORKING_TREE))


def git_versions(catalog_path: Path, rev_from: str | None, rev_to: str | None) -> VersionPair:
    """``--from``/``--to``: default the last commit against the working tree."""
    pair = VersionPair()
    try:
        pair.before = revision_version(catalog_path, rev_from or "HEAD", pair)
        pair.after = (
            revision_version(catalog_path, rev_to, pair)
            if rev_to
            else working_tree_version(catalog_path)
        )
    except BaseException:
        pair.__exit__(None, None, None)
        raise
    return pair


# --- files --------------------------------------------------------------------


def catalog_versions(before: Path, after: Path) -> VersionPair:
    """``--catalogs A.yaml B.yaml``: each with the templates and contacts next to it."""
    pair = VersionPair()
    pair.before = Version(str(before), _load(before, str(before)))
    pair.after = Version(str(after), _load(after, str(after)))
    return pair


def template_target(base: Catalog, files: tuple[Path, Path], letter_id: str | None) -> str:
    """Which template of the base catalogue the two files are versions of.

    A file inside the catalogue's templates folder names itself (a letter or a
    shared partial); otherwise the letter named on the command line says.
    """
    root = base.template_root.resolve()
    for file in reversed(files):
        resolved = file.resolve()
        if resolved.is_relative_to(root):
            return resolved.relative_to(root).as_posix()
    if letter_id is None:
        raise VersionError(
            "neither file is in the catalogue's templates folder: name the letter they are "
            "versions of (pexmail diff LETTER_ID --templates A B)"
        )
    letters = [x for x in base.letters if x.id == letter_id]
    if not letters:
        raise VersionError(f"no letter {letter_id!r} in {base.path}")
    return letters[-1].templates.html


def template_versions(
    catalog_path: Path, before: Path, after: Path, letter_id: str | None
) -> VersionPair:
    """``--templates A B``: the catalogue twice, its template replaced by A, then by B."""
    for file in (before, after):
        if not file.is_file():
            raise VersionError(f"{file}: no such template file")
    base = _load(catalog_path, str(catalog_path))
    target = template_target(base, (before, after), letter_id)
    pair = VersionPair()
    try:
        for side, file in (("before", before), ("after", after)):
            folder = pair.tempdir(f"pexmail-diff-{side}-")
            _copy_catalog(base, folder)
            shutil.copyfile(file, folder / TEMPLATE_DIR / target)
            setattr(pair, side, Version(str(file), _load(folder / base.path.name, str(file))))
    except BaseException:
        pair.__exit__(None, None, None)
        raise
    return pair


def _copy_catalog(base: Catalog, folder: Path) -> None:
    """The catalogue file, its templates and its contact directories, same relative paths."""
    shutil.copyfile(base.path, folder / base.path.name)
    shutil.copytree(base.template_root, folder / TEMPLATE_DIR)
    for name in base.document.contacts.directories:
        source = base.root / name
        if not (folder / name).resolve().is_relative_to(folder.resolve()):
            raise VersionError(f"contact directory {name} is outside the catalogue's folder")
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, folder / name)
