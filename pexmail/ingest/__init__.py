"""Reading partners' case files."""

from pexmail.ingest.cases import FileInfo, FileStats, inspect_file, read_cases

__all__ = ["FileInfo", "FileStats", "inspect_file", "read_cases"]
