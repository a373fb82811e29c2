"""Who is asking: API bearer tokens, the pages' signed session cookie, CSRF tokens.

* API: ``Authorization: Bearer <token>``; the token's SHA-256 is looked up in
  the configuration (tokens themselves are never stored).
* Pages: the login form takes the same token and sets a session cookie holding
  the organisation id and an expiry, signed with HMAC-SHA256; HttpOnly,
  SameSite=Lax, Secure over HTTPS.
* CSRF: every form carries a token derived from a random per-browser cookie
  (double submit, signed so that a sibling site cannot forge the pair).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from fastapi import HTTPException, Request, Response

from pexmail.service.config import Organisation, ServiceConfig

SESSION_COOKIE = "pexmail_session"
CSRF_COOKIE = "pexmail_csrf"


def _sign(key: bytes, value: str) -> str:
    mac = hmac.new(key, value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def make_session(config: ServiceConfig, org: Organisation) -> str:
    expires = int(time.time() + config.session_hours * 3600)
    value = f"{org.id}.{expires}"
    return f"{value}.{_sign(config.signing_key(), 'session:' + value)}"


def read_session(config: ServiceConfig, cookie: str | None) -> Organisation | None:
    if not cookie or cookie.count(".") != 2:
        return None
    org_id, expires, signature = cookie.split(".")
    expected = _sign(config.signing_key(), f"session:{org_id}.{expires}")
    if not hmac.compare_digest(signature, expected):
        return None
    if not expires.isdigit() or int(expires) < time.time():
        return None
    return config.organisation(org_id)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def api_organisation(request: Request) -> Organisation:
    """FastAPI dependency: the organisation of the bearer token, or 401."""
    config: ServiceConfig = request.app.state.config
    token = bearer_token(request)
    org = config.organisation_for_token(token) if token else None
    if org is None:
        raise HTTPException(
            status_code=401,
            detail="a valid API token is required: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return org


def optional_api_organisation(request: Request) -> Organisation | None:
    token = bearer_token(request)
    return request.app.state.config.organisation_for_token(token) if token else None


def page_organisation(request: Request) -> Organisation | None:
    return read_session(request.app.state.config, request.cookies.get(SESSION_COOKIE))


def secure(request: Request) -> bool:
    setting = request.app.state.config.secure_cookies
    return setting == "always" or (setting == "auto" and request.url.scheme == "https")


def set_session(response: Response, request: Request, org: Organisation) -> None:
    config: ServiceConfig = request.app.state.config
    response.set_cookie(
        SESSION_COOKIE,
        make_session(config, org),
        max_age=int(config.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=secure(request),
        path="/",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


# -- CSRF -------------------------------------------------------------------------------
def csrf_seed(request: Request) -> str:
    """The browser's random CSRF seed (set on the response by the pages' middleware)."""
    seed = request.cookies.get(CSRF_COOKIE)
    if not seed or len(seed) > 100:
        seed = getattr(request.state, "csrf_seed", None) or secrets.token_urlsafe(24)
        request.state.csrf_seed = seed
    return seed


def csrf_token(request: Request) -> str:
    return _sign(request.app.state.config.signing_key(), "csrf:" + csrf_seed(request))


def check_csrf(request: Request, submitted: str | None) -> bool:
    seed = request.cookies.get(CSRF_COOKIE)
    if not seed or not submitted:
        return False
    expected = _sign(request.app.state.config.signing_key(), "csrf:" + seed)
    return hmac.compare_digest(submitted, expected)
