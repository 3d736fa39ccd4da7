"""SecureString: encrypted at rest, ciphertext unless WithDecryption, keys per account/region/KeyId."""
from __future__ import annotations

import base64
import sqlite3

import pytest

from conftest import make_client
from test_parameter_store import error_of

SECRET = "correct-horse-battery-staple-4f9c2e"


def test_plaintext_never_reaches_the_database_file(start_emulator, tmp_path):
    data_dir = tmp_path / "state"
    server = start_emulator("--data-dir", str(data_dir))
    ssm = make_client(server.url)
    ssm.put_parameter(Name="/secure/one", Value=SECRET, Type="SecureString")
    ssm.put_parameter(Name="/secure/one", Value=SECRET + "-v2", Type="SecureString", Overwrite=True)
    ssm.put_parameter(Name="/secure/custom", Value=SECRET + "-custom", Type="SecureString", KeyId="alias/my-key")
    ssm.put_parameter(Name="/plain/visible", Value="not-a-secret-7d1e", Type="String")
    assert ssm.get_parameter(Name="/secure/one", WithDecryption=True)["Parameter"]["Value"] == SECRET + "-v2"
    server.stop()
    raw = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.is_file())
    assert b"not-a-secret-7d1e" in raw  # the check does see stored values
    assert SECRET.encode() not in raw
    db = sqlite3.connect(data_dir / "ssm-emulator.sqlite3")
    values = [r[0] for r in db.execute("SELECT value FROM ps_version")]
    assert all(SECRET not in v for v in values)
    # and it all survives a restart
    restarted = start_emulator("--data-dir", str(data_dir), port=server.port)
    again = make_client(restarted.url)
    assert again.get_parameter(Name="/secure/custom", WithDecryption=True)["Parameter"]["Value"] == SECRET + "-custom"
    history = again.get_parameter_history(Name="/secure/one", WithDecryption=True)["Parameters"]
    assert [h["Value"] for h in history] == [SECRET, SECRET + "-v2"]


def test_without_decryption_value_is_base64_ciphertext(ssm):
    ssm.put_parameter(Name="/s", Value=SECRET, Type="SecureString")
    for call in (
        lambda: ssm.get_parameter(Name="/s")["Parameter"]["Value"],
        lambda: ssm.get_parameters(Names=["/s"])["Parameters"][0]["Value"],
        lambda: ssm.get_parameters_by_path(Path="/")["Parameters"][0]["Value"],
        lambda: ssm.get_parameter_history(Name="/s")["Parameters"][0]["Value"],
    ):
        value = call()
        assert value != SECRET and SECRET.encode() not in base64.b64decode(value)
    assert ssm.get_parameter(Name="/s", WithDecryption=True)["Parameter"]["Value"] == SECRET
    assert ssm.get_parameters(Names=["/s"], WithDecryption=True)["Parameters"][0]["Value"] == SECRET
    assert ssm.get_parameter_history(Name="/s", WithDecryption=True)["Parameters"][0]["Value"] == SECRET


def test_with_decryption_is_ignored_for_plain_types(ssm):
    ssm.put_parameter(Name="/p", Value="a,b", Type="StringList")
    assert ssm.get_parameter(Name="/p", WithDecryption=True)["Parameter"]["Value"] == "a,b"


@pytest.mark.parametrize(
    "key_id",
    [
        "alias/aws/ssm",
        "alias/team-key",
        "arn:aws:kms:us-east-1:123456789012:alias/team-key",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ],
)
def test_key_ids_are_accepted_and_reported(ssm, key_id):
    ssm.put_parameter(Name="/k", Value=SECRET, Type="SecureString", KeyId=key_id)
    assert ssm.describe_parameters()["Parameters"][0]["KeyId"] == key_id
    assert ssm.get_parameter(Name="/k", WithDecryption=True)["Parameter"]["Value"] == SECRET


def test_default_key_and_overwrite_keeps_key(ssm):
    ssm.put_parameter(Name="/dk", Value="a", Type="SecureString", KeyId="alias/kept")
    ssm.put_parameter(Name="/dk", Value="b", Overwrite=True)
    meta = ssm.describe_parameters()["Parameters"][0]
    assert (meta["Type"], meta["KeyId"], meta["Version"]) == ("SecureString", "alias/kept", 2)
    ssm.put_parameter(Name="/default", Value="a", Type="SecureString")
    keys = {p["Name"]: p["KeyId"] for p in ssm.describe_parameters()["Parameters"]}
    assert keys["/default"] == "alias/aws/ssm"


def test_invalid_key_id(ssm):
    assert error_of(ssm.put_parameter, Name="/bad", Value="v", Type="SecureString", KeyId="not-a-key")[0] == "InvalidKeyId"


def test_ciphertext_is_bound_to_its_parameter(ssm, client_factory):
    ssm.put_parameter(Name="/bound", Value=SECRET, Type="SecureString")
    ciphertext = ssm.get_parameter(Name="/bound")["Parameter"]["Value"]
    other_region = client_factory(region="eu-central-1")
    other_region.put_parameter(Name="/bound", Value="x", Type="SecureString")
    assert other_region.get_parameter(Name="/bound", WithDecryption=True)["Parameter"]["Value"] == "x"
    assert ssm.get_parameter(Name="/bound")["Parameter"]["Value"] == ciphertext
