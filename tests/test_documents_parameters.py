"""The in-process API Run Command, Automation and State Manager use: DocumentLibrary.resolve and
parameters.validate_and_fill (SendCommand's parameter checking). Pure functions and an
in-process app; no server."""
from __future__ import annotations

import json

import pytest

from api_models._runtime import ServiceError
from api_models.errors import InvalidDocument, InvalidDocumentVersion, InvalidParameters
from emulator.app import create_app
from emulator.config import Config
from emulator.context import Caller, RequestContext
from emulator.documents import DocumentLibrary, validate_and_fill
from emulator.documents.parameters import declare


def declared(**params):
    return declare(params, automation=True)


RUN_SHELL = declared(
    commands={"type": "StringList", "minItems": 1},
    workingDirectory={"type": "String", "default": "", "maxChars": 10},
    executionTimeout={"type": "String", "default": "3600",
                      "allowedPattern": "([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800)"},
)


def message_of(declared_params, given, **kwargs) -> str:
    with pytest.raises(InvalidParameters) as info:
        validate_and_fill(declared_params, given, **kwargs)
    return info.value.message


def test_fills_defaults_in_declaration_order():
    out = validate_and_fill(RUN_SHELL, {"commands": ["uname -a", "id"]})
    assert out == {"commands": ["uname -a", "id"], "workingDirectory": "", "executionTimeout": "3600"}
    assert list(out) == ["commands", "workingDirectory", "executionTimeout"]


def test_unknown_and_missing_parameters():
    assert message_of(RUN_SHELL, {"commands": ["ls"], "bogus": ["x"]}) == 'Parameter "bogus" is not declared in the document.'
    assert message_of(RUN_SHELL, {}) == 'Parameter "commands" is required but no value was provided.'
    assert message_of(RUN_SHELL, None) == 'Parameter "commands" is required but no value was provided.'
    assert message_of(RUN_SHELL, {"commands": []}) == 'Parameter "commands" must have at least 1 item(s).'


def test_allowed_pattern_is_a_full_match():
    assert validate_and_fill(RUN_SHELL, {"commands": ["ls"], "executionTimeout": ["172800"]})["executionTimeout"] == "172800"
    assert message_of(RUN_SHELL, {"commands": ["ls"], "executionTimeout": ["999999"]}) == (
        'Parameter "executionTimeout" has value "999999" not matching '
        '"([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800)".'
    )


def test_allowed_values_message_is_awss():
    params = declared(Action={"type": "String", "allowedValues": ["Install", "Uninstall"]})
    assert message_of(params, {"Action": ["install"]}) == 'Parameter "Action" has value "install" not found in [Install, Uninstall].'


def test_string_takes_one_value_and_max_chars():
    assert message_of(RUN_SHELL, {"commands": ["ls"], "workingDirectory": ["/a", "/b"]}) == (
        'Parameter "workingDirectory" is of type String and takes exactly one value.'
    )
    assert "longer than 10" in message_of(RUN_SHELL, {"commands": ["ls"], "workingDirectory": ["/" * 11]})


def test_typed_values():
    params = declared(
        n={"type": "Integer", "default": 1},
        flag={"type": "Boolean", "default": False},
        env={"type": "StringMap", "default": {}},
        items={"type": "MapList", "default": []},
        ids={"type": "List<AWS::EC2::Instance::Id>", "default": []},
        iid={"type": "AWS::EC2::Instance::Id", "default": "i-0"},
    )
    out = validate_and_fill(params, {
        "n": ["42"], "flag": ["TRUE"], "env": ['{"SSM_a": "1"}'], "items": ['[{"k": 1}, {"k": 2}]'],
        "ids": ["i-1", "i-2"], "iid": ["i-3"],
    })
    assert out == {"n": 42, "flag": True, "env": {"SSM_a": "1"}, "items": [{"k": 1}, {"k": 2}],
                   "ids": ["i-1", "i-2"], "iid": "i-3"}
    # in-process callers may pass typed scalars
    assert validate_and_fill(params, {"n": 7, "flag": False})["n"] == 7
    assert validate_and_fill(params, {"items": ['{"k": 1}', '{"k": 2}']})["items"] == [{"k": 1}, {"k": 2}]
    assert message_of(params, {"n": ["4.5"]}) == 'Parameter "n" has value "4.5" which is not a valid Integer.'
    assert message_of(params, {"flag": ["maybe"]}) == 'Parameter "flag" has value "maybe" which is not a valid Boolean.'
    assert message_of(params, {"env": ["[1]"]}) == 'Parameter "env" has value "[1]" which is not a valid StringMap.'
    assert "not a valid MapList" in message_of(params, {"items": ["nope"]})


def test_error_class_and_opaque_message_are_the_callers():
    class InvalidAutomationExecutionParametersException(ServiceError):
        code = "InvalidAutomationExecutionParametersException"

    with pytest.raises(InvalidAutomationExecutionParametersException):
        validate_and_fill(RUN_SHELL, {}, error=InvalidAutomationExecutionParametersException)
    # SendCommand answers one message for every invalid parameter
    opaque = "document AWS-RunShellScript does not support parameters."
    assert message_of(RUN_SHELL, {"nope": ["x"]}, opaque_message=opaque) == opaque


# --- resolve -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_and_library():
    app = create_app(Config(ephemeral=True))
    return app.test_client(), DocumentLibrary(app.extensions["ssm_emulator"])


def ctx(account: str = "123456789012", region: str = "us-east-1") -> RequestContext:
    return RequestContext(Caller(account, region, account, f"arn:aws:iam::{account}:root"), "test")


def call(client, op: str, body: dict, account: str = "123456789012") -> dict:
    resp = client.post("/", data=json.dumps(body), headers={
        "X-Amz-Target": f"AmazonSSM.{op}", "Content-Type": "application/x-amz-json-1.1",
        "Authorization": f"AWS4-HMAC-SHA256 Credential={account}/20240101/us-east-1/ssm/aws4_request, "
                         "SignedHeaders=host, Signature=0",
    })
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json(force=True)


def test_resolve_aws_owned(app_and_library):
    _, library = app_and_library
    doc = library.resolve(ctx(region="eu-central-1"), "AWS-RunShellScript")
    assert (doc.name, doc.owner, doc.version, doc.document_type, doc.schema_version) == (
        "AWS-RunShellScript", "Amazon", "1", "Command", "1.2"
    )
    assert doc.arn == "arn:aws:ssm:eu-central-1::document/AWS-RunShellScript"
    assert doc.hash_type == "Sha256" and len(doc.hash) == 64
    assert doc.content["runtimeConfig"]["aws:runShellScript"]["properties"][0]["runCommand"] == "{{ commands }}"
    assert [p.name for p in doc.parameters] == ["commands", "workingDirectory", "executionTimeout"]
    assert validate_and_fill(doc.parameters, {"commands": ["ls"]})["executionTimeout"] == "3600"
    assert library.resolve(ctx(), "AWS-RunShellScript", "$LATEST").version == "1"
    with pytest.raises(InvalidDocumentVersion):
        library.resolve(ctx(), "AWS-RunShellScript", "2")


def test_resolve_own_versions_and_shared(app_and_library):
    client, library = app_and_library

    def content(n):
        return json.dumps({"schemaVersion": "2.2", "description": f"v{n}",
                           "parameters": {"who": {"type": "String", "default": str(n)}},
                           "mainSteps": [{"action": "aws:runShellScript", "name": "s",
                                          "inputs": {"runCommand": ["echo {{ who }}"]}}]})

    call(client, "CreateDocument", {"Name": "resolve-me", "Content": content(1), "DocumentType": "Command"})
    call(client, "UpdateDocument", {"Name": "resolve-me", "Content": content(2), "VersionName": "second"})
    default = library.resolve(ctx(), "resolve-me")
    assert (default.version, default.content["description"], default.owner) == ("1", "v1", "123456789012")
    assert library.resolve(ctx(), "resolve-me", "$LATEST").parameters[0].default == "2"
    assert library.resolve(ctx(), "resolve-me", version_name="second").version == "2"
    assert library.resolve(ctx(), "resolve-me", "2").hash == library.resolve(ctx(), "resolve-me", "$LATEST").hash
    with pytest.raises(InvalidDocumentVersion):
        library.resolve(ctx(), "resolve-me", "3")
    with pytest.raises(InvalidDocument) as info:
        library.resolve(ctx(), "no-such-doc")
    assert info.value.message == "No matching value was found for Name."
    # another account reads it by ARN once shared, at the shared version
    arn = "arn:aws:ssm:us-east-1:123456789012:document/resolve-me"
    with pytest.raises(InvalidDocument):
        library.resolve(ctx("111122223333"), arn)
    call(client, "ModifyDocumentPermission", {"Name": "resolve-me", "PermissionType": "Share",
                                              "AccountIdsToAdd": ["111122223333"], "SharedDocumentVersion": "$LATEST"})
    shared = library.resolve(ctx("111122223333"), arn)
    assert (shared.version, shared.owner, shared.arn) == ("2", "123456789012", arn)
