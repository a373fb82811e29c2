"""The catalogue: letters, senders, sources, facts, QR targets and contacts."""

from pexmail.catalog.load import Catalog, default_catalog_path, load_catalog
from pexmail.catalog.select import Selection, select_letters

__all__ = ["Catalog", "Selection", "default_catalog_path", "load_catalog", "select_letters"]
