"""The service's configuration and `pexmail serve`: safe defaults, clear errors, real start-up."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pexmail.service.config import ConfigError, ServiceConfig, hash_token, load_config

from .conftest import ROOT


def test_defaults_are_safe():
    config = ServiceConfig()
    assert config.host == "127.0.0.1"
    assert config.organisations == []
    assert config.public_notice is False
    assert config.organisation_for_token("anything") is None


def test_paths_are_relative_to_the_file_and_the_environment_overrides(tmp_path):
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "service.yaml"
    path.write_text(
        "data_dir: data\npublic_notice: false\norganisations:\n"
        f"  - id: caf-75\n    name: Caf\n    token_hashes: ['{hash_token('t1')}']\n",
        encoding="utf-8",
    )
    config = load_config(path, environ={})
    assert config.data_dir == tmp_path / "conf" / "data"
    assert config.organisation_for_token("t1").id == "caf-75"
    assert config.organisation_for_token("t2") is None
    secret = "s" * 40
    config = load_config(
        path,
        environ={
            "PEXMAIL_SECRET_KEY": secret,
            "PEXMAIL_PUBLIC_NOTICE": "yes",
            "PEXMAIL_DATA_DIR": "/srv/x",
        },
    )
    assert config.secret_key == secret and config.public_notice is True
    assert config.data_dir == Path("/srv/x")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("organisations: [\n", "service.yaml:"),
        ("- a\n- b\n", "expected a mapping"),
        (
            "organisations:\n  - {id: x, name: X, token_hashes: ['abc']}\n",
            "organisations.0.token_hashes",
        ),
        ("limits: {workers: 0}\n", "limits.workers"),
        ("secret_key: short\n", "secret_key"),
        ("unknown: 1\n", "unknown"),
        (
            "organisations:\n  - {id: x, name: X, token_hashes: ['HASH']}\n  - {id: x, name: Y, token_hashes: ['HASH2']}\n",
            "used twice",
        ),
    ],
)
def test_bad_configs_are_reported_with_the_field(tmp_path, text, expected):
    text = text.replace("HASH2", hash_token("b")).replace("HASH", hash_token("a"))
    path = tmp_path / "service.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    assert expected in str(error.value)


def test_the_sample_config_loads_and_its_demo_key_works():
    config = load_config(ROOT / "service.example.yaml", environ={})
    assert config.host == "127.0.0.1"
    assert config.organisation_for_token("pxm_demo-drihl-75-change-me").id == "drihl-75"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "./install.sh\n.venv/bin/pexmail serve --config service.example.yaml" in readme


def test_hash_token_prints_a_token_and_its_hash(cli):
    result = cli("serve", "--hash-token")
    assert result.exit_code == 0
    token = result.output.split("not stored): ")[1].split()[0]
    assert token.startswith("pxm_") and len(token) > 40
    assert f'"{hash_token(token)}"' in result.output


def test_serve_refuses_a_bad_config(cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("limits: {workers: -1}\n", encoding="utf-8")
    result = cli("serve", "--config", path)
    assert result.exit_code == 1
    assert "limits.workers" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_starts_and_logs_no_query_string(tmp_path):
    port = _free_port()
    config = tmp_path / "service.yaml"
    config.write_text(
        f"data_dir: data\ncatalog: {ROOT / 'catalog.yaml'}\npublic_notice: true\n", encoding="utf-8"
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from pexmail.cli import main; main()",
            "serve",
            "--config",
            str(config),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                    assert r.status == 200
                break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.3)
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/api/places?q=ZZSENTINELZZ", timeout=10
        ) as response:
            assert response.status == 200
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=60)[0].decode()
    assert f"pexmail service on http://127.0.0.1:{port}/" in output
    assert "No organisation in the config" in output
    assert "GET /api/places 200" in output
    assert "ZZSENTINELZZ" not in output
