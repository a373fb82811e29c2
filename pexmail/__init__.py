"""pexmail: coordinated, plain-French letters for the eviction-prevention chain.

The library API, which the CLI and the service call::

    from pexmail import load_catalog, run_batch, BatchOptions
"""

__version__ = "0.1.0"

from pexmail.catalog import Catalog, load_catalog
from pexmail.errors import PexmailError
from pexmail.ingest import inspect_file, read_cases
from pexmail.pipeline import BatchOptions, BatchResult, run_batch

__all__ = [
    "BatchOptions",
    "BatchResult",
    "Catalog",
    "PexmailError",
    "__version__",
    "inspect_file",
    "load_catalog",
    "read_cases",
    "run_batch",
]
