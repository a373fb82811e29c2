"""The only way WeasyPrint may load anything: an allow-list.

WeasyPrint's default fetcher opens whatever a document names (``http:``,
``file:///etc/passwd``, ``data:``...). Here a document may load the files
under the template folder and the bundled fonts, and the batch's QR images
(``qr:<id>``); anything else stops the document with an error, so that it is
refused rather than printed without the resource or with someone else's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from pexmail.render.qr import QR_SCHEME

_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}


class ForbiddenResource(FatalURLFetchingError):
    """A document asked for something outside the allow-list."""


class AllowListFetcher(URLFetcher):
    def __init__(self, roots: Sequence[Path], images: Mapping[str, bytes]) -> None:
        super().__init__(allowed_protocols=(), allow_redirects=False)
        self.roots = tuple(root.resolve() for root in roots)
        self.images = dict(images)

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        if url.startswith(QR_SCHEME):
            target = url[len(QR_SCHEME) :]
            if target in self.images:
                return URLFetcherResponse(url, self.images[target], {"Content-Type": "image/png"})
            raise ForbiddenResource(f"unknown QR image {target!r}")
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ForbiddenResource(f"resource scheme {parts.scheme or '(none)'!r} is not allowed")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise ForbiddenResource("a file outside the template and font folders was requested")
        suffix = path.suffix.lower()
        if suffix not in _TYPES or not path.is_file():
            raise ForbiddenResource(
                f"resource type {suffix or '(none)'!r} is not allowed or missing"
            )
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": _TYPES[suffix]})
