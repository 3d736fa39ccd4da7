"""The AWS CLI, unchanged, through --endpoint-url."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def aws(url: str, *args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    cli = Path(sys.executable).parent / "aws"
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "AKIDCLI",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_CONFIG_FILE": str(tmp / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "credentials"),
    }
    return subprocess.run(
        [str(cli), "ssm", *args, "--endpoint-url", url, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_round_trip(ssm, emulator, tmp_path):
    put = aws(emulator.url, "put-parameter", "--name", "/cli/db/password", "--value", "hunter2",
              "--type", "SecureString", tmp=tmp_path)
    assert put.returncode == 0, put.stderr
    assert json.loads(put.stdout) == {"Version": 1, "Tier": "Standard"}

    got = aws(emulator.url, "get-parameter", "--name", "/cli/db/password", "--with-decryption", tmp=tmp_path)
    assert got.returncode == 0, got.stderr
    param = json.loads(got.stdout)["Parameter"]
    assert param["Value"] == "hunter2"
    assert param["ARN"] == "arn:aws:ssm:eu-west-1:123456789012:parameter/cli/db/password"

    by_path = aws(emulator.url, "get-parameters-by-path", "--path", "/cli", "--recursive", tmp=tmp_path)
    assert [p["Name"] for p in json.loads(by_path.stdout)["Parameters"]] == ["/cli/db/password"]


def test_cli_reports_aws_errors(ssm, emulator, tmp_path):
    missing = aws(emulator.url, "get-parameter", "--name", "/cli/missing", tmp=tmp_path)
    assert missing.returncode == 255  # AWS CLI v1: 255 for a service error
    assert "An error occurred (ParameterNotFound) when calling the GetParameter operation" in missing.stderr
