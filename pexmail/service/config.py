"""The service's settings: organisations and their token hashes, limits, retention.

Read from a YAML file (``pexmail serve --config service.yaml``), then a few
environment variables (``PEXMAIL_SECRET_KEY``, ``PEXMAIL_DATA_DIR``,
``PEXMAIL_PUBLIC_NOTICE``). Defaults are safe: nothing but 127.0.0.1, no
organisation (so no access), no public notice.

Only hashes of tokens are stored: ``pexmail serve --hash-token`` makes a token
and prints the line to paste into the file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pexmail.errors import PexmailError

TOKEN_PREFIX = "pxm_"
HASH_PREFIX = "sha256:"

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]


class ConfigError(PexmailError):
    """The service configuration cannot be used; names the file and each field."""


def make_token() -> str:
    """A new random API token (256 bits): printed once, never stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens are random 256-bit strings, not passwords: a plain SHA-256 cannot be
    # brute-forced, and lets the service find the organisation in one pass.
    return HASH_PREFIX + hashlib.sha256(token.strip().encode()).hexdigest()


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Organisation(_Model):
    id: Identifier = Field(description="Short id; names the organisation's job folder and ledger.")
    name: str = Field(description="Shown on the pages once logged in.")
    token_hashes: list[str] = Field(
        min_length=1, description="`sha256:` hashes of its tokens (several during a rotation)."
    )

    @field_validator("token_hashes")
    @classmethod
    def _hashes(cls, value: list[str]) -> list[str]:
        for item in value:
            digest = item.removeprefix(HASH_PREFIX)
            if not item.startswith(HASH_PREFIX) or len(digest) != 64:
                raise ValueError(
                    "expected 'sha256:' and 64 hex digits, as `pexmail serve --hash-token` prints"
                )
            int(digest, 16)
        return value


class Limits(_Model):
    upload_max_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1024, description="Largest request body of an upload."
    )
    upload_max_files: int = Field(default=20, ge=1, description="CSV files per job.")
    workers: int = Field(default=2, ge=1, le=64, description="Jobs running at once.")
    active_jobs_per_organisation: int = Field(
        default=4, ge=1, description="Jobs queued or running per organisation."
    )


class Retention(_Model):
    days: float = Field(default=30, gt=0, description="Job folders are deleted after this.")
    sweep_minutes: float = Field(default=60, gt=0, description="How often the sweep runs.")


class ServiceConfig(_Model):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    data_dir: Path = Field(
        default=Path("pexmail-data"), description="Job folders and ledgers, per organisation."
    )
    catalog: Path | None = Field(
        default=None, description="Catalogue; none = the CLI's default lookup."
    )
    secret_key: str | None = Field(
        default=None,
        min_length=32,
        description="Signs login cookies. None = random at each start (logins end on restart).",
    )
    public_notice: bool = Field(
        default=False, description="Notice page and API open without a token."
    )
    secure_cookies: Literal["auto", "always", "never"] = Field(
        default="auto", description="`auto`: Secure cookies when the request came over HTTPS."
    )
    session_hours: float = Field(default=10, gt=0)
    limits: Limits = Field(default_factory=Limits)
    retention: Retention = Field(default_factory=Retention)
    organisations: list[Organisation] = Field(default_factory=list)

    @field_validator("organisations")
    @classmethod
    def _unique(cls, value: list[Organisation]) -> list[Organisation]:
        seen: set[str] = set()
        hashes: set[str] = set()
        for org in value:
            if org.id in seen:
                raise ValueError(f"organisation id {org.id!r} is used twice")
            seen.add(org.id)
            for item in org.token_hashes:
                if item in hashes:
                    raise ValueError(f"a token hash of {org.id!r} is used by another organisation")
                hashes.add(item)
        return value

    def organisation_for_token(self, token: str) -> Organisation | None:
        """The organisation owning ``token``; every hash is compared in constant time."""
        digest = hash_token(token)
        found = None
        for org in self.organisations:
            for item in org.token_hashes:
                if hmac.compare_digest(item, digest):
                    found = org
        return found

    def organisation(self, org_id: str) -> Organisation | None:
        return next((o for o in self.organisations if o.id == org_id), None)

    def signing_key(self) -> bytes:
        return (self.secret_key or _RANDOM_KEY).encode()


_RANDOM_KEY = secrets.token_urlsafe(48)


def load_config(path: Path | None = None, environ: dict[str, str] | None = None) -> ServiceConfig:
    """The file's settings (none = defaults), then the environment's overrides."""
    environ = dict(os.environ if environ is None else environ)
    data: dict = {}
    display = str(path) if path else "(defaults)"
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{display}: cannot read: {exc.strerror}") from None
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{display}:{mark.line + 1}" if mark else display
            raise ConfigError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{display}: expected a mapping of settings")
        base = Path(path).resolve().parent
        # Paths in the file are relative to the file, as a reader of the file expects.
        for key in ("data_dir", "catalog"):
            if isinstance(data.get(key), str) and not Path(data[key]).is_absolute():
                data[key] = str(base / data[key])
    if environ.get("PEXMAIL_SECRET_KEY"):
        data["secret_key"] = environ["PEXMAIL_SECRET_KEY"]
    if environ.get("PEXMAIL_DATA_DIR"):
        data["data_dir"] = environ["PEXMAIL_DATA_DIR"]
    if environ.get("PEXMAIL_PUBLIC_NOTICE"):
        data["public_notice"] = environ["PEXMAIL_PUBLIC_NOTICE"].strip().lower() in {
            "1",
            "true",
            "yes",
            "on",
        }
    try:
        return ServiceConfig.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ConfigError(
            f"{display}: the service configuration has problems:\n" + "\n".join(lines)
        ) from None
