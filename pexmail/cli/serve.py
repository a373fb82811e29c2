"""``pexmail serve``: the web pages and the HTTP API (``pexmail.service``)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from pexmail.cli import fail, main
from pexmail.errors import PexmailError


@main.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Service settings (YAML): organisations, limits, retention. See service.example.yaml.",
)
@click.option("--host", help="Address to listen on. Default: the config's, else 127.0.0.1.")
@click.option("--port", type=int, help="Port. Default: the config's, else 8000.")
@click.option(
    "--hash-token",
    is_flag=True,
    help="Make a new API token, print it and the hash to put in the config, and exit.",
)
def serve(config_path: Path | None, host: str | None, port: int | None, hash_token: bool) -> None:
    """Start the web pages and the HTTP API.

    Every organisation logs in with its own token; the config stores only its hash.

    \b
    Example:
      pexmail serve --hash-token
      pexmail serve --config service.example.yaml
    """
    from pexmail.service.config import hash_token as make_hash
    from pexmail.service.config import load_config, make_token

    if hash_token:
        token = make_token()
        click.echo(f"token (give it to the organisation, once; it is not stored): {token}")
        click.echo(f'hash (put it under the organisation\'s token_hashes): "{make_hash(token)}"')
        return
    try:
        config = load_config(config_path)
        config = config.model_copy(
            update={k: v for k, v in {"host": host, "port": port}.items() if v is not None}
        )
        from pexmail.service.app import create_app

        app = create_app(config)
    except PexmailError as exc:
        fail(exc)
    import uvicorn

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Row-level warnings name files and rows only, but a service keeps its logs short.
    logging.getLogger("pexmail").setLevel(logging.INFO)
    if not config.organisations:
        click.echo(
            "No organisation in the config: only the public notice (if enabled) can be used. "
            "Make a token with `pexmail serve --hash-token`.",
            err=True,
        )
    click.echo(f"pexmail service on http://{config.host}:{config.port}/", err=True)
    # uvicorn's access log prints query strings (postcodes, communes): ours does not.
    uvicorn.run(app, host=config.host, port=config.port, access_log=False, log_config=None)
