"""The `ssm-emulator` command: flags, SSM_EMULATOR_* variables, the TOML config, health."""
from __future__ import annotations

import subprocess
import sys
import urllib.request

import pytest

from conftest import ROOT, make_client

FLAGS = ("--host", "--port", "--data-dir", "--ephemeral", "--log-level", "--config", "--verify-signatures",
         "--tls-cert", "--tls-key")


def test_help_documents_every_setting():
    out = subprocess.run(
        [sys.executable, "-m", "emulator", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    for flag in FLAGS:
        assert flag in out
    assert "SSM_EMULATOR_" in out


def test_bad_setting_is_a_usage_error(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('nonsense = 1\n')
    run = subprocess.run(
        [sys.executable, "-m", "emulator", "--config", str(cfg)], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 2 and "nonsense" in run.stderr


def test_tls_needs_both_certificate_and_key(tmp_path, tls_files):
    cert, _ = tls_files
    cfg = tmp_path / "half.toml"
    cfg.write_text(f'tls_cert = "{cert}"\n')
    for args in (["--tls-cert", str(cert)], ["--config", str(cfg)]):
        run = subprocess.run([sys.executable, "-m", "emulator", *args], cwd=ROOT, capture_output=True, text=True)
        assert run.returncode == 2 and "tls-key" in run.stderr, run.stderr


def test_tls_from_variables_serves_https_only(start_emulator, tls_files):
    cert, key = tls_files
    server = start_emulator("--ephemeral", env={"SSM_EMULATOR_TLS_CERT": str(cert), "SSM_EMULATOR_TLS_KEY": str(key)})
    assert server.url.startswith("https://")
    assert server.admin("GET", "/_emulator/health")["status"] == "running"  # checked against the certificate
    assert make_client(server.url, verify=str(cert)).describe_parameters()["Parameters"] == []
    with pytest.raises(OSError):  # plain HTTP on the TLS port gets no answer
        urllib.request.urlopen(f"http://127.0.0.1:{server.port}/_emulator/health", timeout=5)


def test_environment_variables_configure_the_server(start_emulator, tmp_path):
    server = start_emulator(env={"SSM_EMULATOR_EPHEMERAL": "true", "SSM_EMULATOR_LOG_LEVEL": "warning"})
    health = server.admin("GET", "/_emulator/health")
    assert health["ephemeral"] is True and health["data_dir"] is None


def test_config_file_sets_data_dir_and_accounts(start_emulator, tmp_path):
    cfg = tmp_path / "emulator.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        'default_account = "210987654321"\n'
        "[[access_keys]]\n"
        'access_key_id = "AKIDTEAMA"\n'
        'account_id = "111111111111"\n'
    )
    server = start_emulator("--config", str(cfg))
    health = server.admin("GET", "/_emulator/health")
    assert health["data_dir"] == str(tmp_path / "data")
    assert (tmp_path / "data").is_dir()

    default = make_client(server.url, access_key="AKIDSOMEONE")
    team_a = make_client(server.url, access_key="AKIDTEAMA")
    default.put_parameter(Name="/where", Value="default", Type="String")
    team_a.put_parameter(Name="/where", Value="team-a", Type="String")
    assert default.get_parameter(Name="/where")["Parameter"]["ARN"].split(":")[4] == "210987654321"
    assert team_a.get_parameter(Name="/where")["Parameter"]["ARN"].split(":")[4] == "111111111111"
    assert team_a.get_parameter(Name="/where")["Parameter"]["Value"] == "team-a"


def test_health_reports_version_uptime_and_components(emulator):
    health = emulator.admin("GET", "/_emulator/health")
    assert health["status"] == "running"
    assert health["version"]
    assert health["uptime_seconds"] >= 0
    assert "ParameterStore" in health["components"]
    assert "PutParameter" in health["operations"]["implemented"]
