"""Document content rules per type and schema version: what CreateDocument/UpdateDocument refuse
and what they derive (platform types, parameters)."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError


def error_of(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    err = info.value.response["Error"]
    return err["Code"], err["Message"]


def create(ssm, body, document_type="Command", fmt=None, name="content-doc"):
    content = body if isinstance(body, str) else json.dumps(body)
    kwargs = {"DocumentFormat": fmt} if fmt else {}
    return ssm.create_document(Name=name, Content=content, DocumentType=document_type, **kwargs)["DocumentDescription"]


def refused(ssm, body, document_type="Command", fmt=None) -> tuple[str, str]:
    code, message = error_of(create, ssm, body, document_type, fmt, name="refused-doc")
    assert error_of(ssm.describe_document, Name="refused-doc")[0] == "InvalidDocument"  # nothing was stored
    return code, message


def step(action="aws:runShellScript", name="s1", **extra):
    return {"action": action, "name": name, "inputs": {"runCommand": ["echo hi"]}, **extra}


def v22(*steps, **extra):
    return {"schemaVersion": "2.2", "description": "d", "mainSteps": list(steps), **extra}


# --- well-formedness ---------------------------------------------------------------------------


def test_malformed_json_and_yaml(ssm):
    code, message = refused(ssm, '{"schemaVersion": "2.2",')
    assert code == "InvalidDocumentContent"
    assert message.startswith("JSON not well-formed. at Line: 1, Column: ")
    code, message = refused(ssm, "schemaVersion: '2.2'\nmainSteps: [\n", fmt="YAML")
    assert code == "InvalidDocumentContent"
    assert message.startswith("YAML not well-formed.")
    assert refused(ssm, "[1, 2]")[0] == "InvalidDocumentContent"


def test_malformed_json_points_past_an_unknown_word(ssm):
    # A URL given as content: AWS's parser reads the word "https" before it gives up, so it points
    # at Column: 6 (awslabs/amazon-eks-ami#716 and #1227).
    url = "https://raw.githubusercontent.com/awslabs/amazon-eks-ami/master/log-collector-script/linux/eks-ssm-content.json"
    assert refused(ssm, url) == ("InvalidDocumentContent", "JSON not well-formed. at Line: 1, Column: 6")
    assert refused(ssm, '{\n  "a": yes please}')[1] == "JSON not well-formed. at Line: 2, Column: 11"


def test_content_size_limit(ssm):
    body = v22(step())
    body["description"] = "x" * (64 * 1024)
    code, _ = refused(ssm, body)
    assert code == "MaxDocumentSizeExceeded"


def test_other_types_need_only_well_formed_content(ssm):
    body = {"anything": ["goes", 1, True], "parameters": "not declarations", "template": "{{ not_a_parameter }}"}
    d = create(ssm, body, document_type="ApplicationConfiguration")
    assert d["DocumentType"] == "ApplicationConfiguration"
    assert d["PlatformTypes"] == []
    assert "SchemaVersion" not in d
    assert refused(ssm, "{not json", document_type="Package")[0] == "InvalidDocumentContent"


# --- schema versions ---------------------------------------------------------------------------


@pytest.mark.parametrize("document_type, version", [
    ("Command", "0.3"), ("Command", "1.0"), ("Automation", "2.2"), ("Session", "2.0"), ("Policy", "1.2"),
])
def test_schema_version_must_suit_the_type(ssm, document_type, version):
    code, message = refused(ssm, {"schemaVersion": version, "mainSteps": [step()]}, document_type)
    assert (code, message) == (
        "InvalidDocumentSchemaVersion", f"{version} is not a valid schema version for {document_type} document type"
    )


@pytest.mark.parametrize("document_type", ["Command", "Automation"])
def test_schema_version_unknown_to_ssm_is_invalid_content(ssm, document_type):
    # Not a schema version of any type: "InvalidDocumentContent: Document schema version is invalid. Value: 3.0"
    # (hashicorp/terraform-provider-aws#21213), unlike a version of another type (InvalidDocumentSchemaVersion).
    code, message = refused(ssm, {"schemaVersion": "3.0", "mainSteps": [step()]}, document_type)
    assert (code, message) == ("InvalidDocumentContent", "Document schema version is invalid. Value: 3.0")


def test_schema_version_is_required(ssm):
    assert refused(ssm, {"mainSteps": [step()]})[0] == "InvalidDocumentContent"


# --- Command 1.2 and 2.x -----------------------------------------------------------------------


def test_command_1_2_runtime_config(ssm):
    body = {"schemaVersion": "1.2", "description": "old", "runtimeConfig": {
        "aws:runPowerShellScript": {"properties": [{"id": "0.aws:runPowerShellScript", "runCommand": ["dir"]}]}}}
    assert create(ssm, body)["PlatformTypes"] == ["Windows"]
    code, message = refused(ssm, {"schemaVersion": "1.2", "runtimeConfig": {"aws:nope": {"properties": []}}})
    assert (code, message) == ("InvalidDocumentContent", "Plugin aws:nope isn't supported.")
    assert refused(ssm, {"schemaVersion": "1.2", "description": "no config"})[0] == "InvalidDocumentContent"


def test_schema_1_2_documents_cannot_be_updated(ssm):
    body = {"schemaVersion": "1.2", "runtimeConfig": {"aws:runShellScript": {"properties": [{"runCommand": ["ls"]}]}}}
    create(ssm, body)
    code, _ = error_of(ssm.update_document, Name="content-doc", Content=json.dumps(v22(step())))
    assert code == "InvalidDocumentSchemaVersion"


@pytest.mark.parametrize("steps, platforms", [
    ([step()], ["Linux", "MacOS"]),
    ([step("aws:runPowerShellScript")], ["Windows"]),
    ([step("aws:runPowerShellScript"), step(name="s2")], ["Windows", "Linux", "MacOS"]),
    ([step(precondition={"StringEquals": ["platformType", "Linux"]})], ["Linux"]),
    ([step("aws:runDocument")], ["Windows", "Linux", "MacOS"]),
    ([step("aws:configureDocker")], ["Windows", "Linux"]),
])
def test_platform_types_follow_the_plugins(ssm, steps, platforms):
    assert create(ssm, v22(*steps))["PlatformTypes"] == platforms


@pytest.mark.parametrize("steps, needle", [
    ([], "mainSteps"),
    ([step("aws:nope")], "Plugin aws:nope isn't supported."),
    ([{"name": "s1", "inputs": {}}], "must have an action"),
    ([step(name="")], "must have a name"),
    ([step(), step()], "Step name s1 is used more than once."),
    ([step(precondition={"StringEquals": ["platformType", "Solaris"]})], "Solaris"),
    ([step(precondition={"StringLike": ["platformType", "Linux"]})], "StringEquals"),
    ([step(precondition={"StringEquals": ["platformType"]})], "two string operands"),
    ([{**step(), "inputs": ["not", "a", "map"]}], "inputs of step s1 must be a map"),
])
def test_command_2_2_step_rules(ssm, steps, needle):
    code, message = refused(ssm, v22(*steps))
    assert code == "InvalidDocumentContent"
    assert needle in message


def test_preconditions_need_schema_2_2(ssm):
    body = {"schemaVersion": "2.0", "mainSteps": [step(precondition={"StringEquals": ["platformType", "Linux"]})]}
    code, message = refused(ssm, body)
    assert code == "InvalidDocumentContent" and "2.2" in message


def test_references_must_be_declared(ssm):
    body = v22({"action": "aws:runShellScript", "name": "s", "inputs": {"runCommand": ["echo {{ PackageVersion }}"]}})
    assert refused(ssm, body) == ("InvalidDocumentContent", 'Parameter "PackageVersion" is not declared.')
    # prefixed ({{ssm:...}}) and dotted references are SSM's own
    body["mainSteps"][0]["inputs"]["runCommand"] = ["echo {{ssm:/my/param}} {{ global:DATE }} {{ step.Output }}"]
    assert create(ssm, body)["Name"] == "content-doc"


# --- parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize("declaration, needle", [
    ({"type": "Float"}, "unsupported type"),
    ({"description": "no type"}, "unsupported type"),
    ({"type": "String", "default": 5}, "not of type String"),
    ({"type": "StringList", "default": "a"}, "not of type StringList"),
    ({"type": "Boolean", "default": "yes"}, "not of type Boolean"),
    ({"type": "Integer", "default": "3"}, "not of type Integer"),
    ({"type": "StringMap", "default": []}, "not of type StringMap"),
    ({"type": "MapList", "default": [1]}, "not of type MapList"),
    ({"type": "String", "allowedValues": ["a", "b"], "default": "c"}, 'has default value "c" not found in [a, b]'),
    ({"type": "StringList", "allowedValues": ["a"], "default": ["a", "z"]}, 'has default value "z" not found in [a]'),
    ({"type": "String", "allowedPattern": "^[0-9]+$", "default": "x1"}, 'has default value "x1" not matching "^[0-9]+$"'),
    ({"type": "String", "allowedPattern": "([unclosed"}, "invalid allowedPattern"),
    ({"type": "StringList", "minItems": 2, "default": ["a"]}, "at least 2"),
    ({"type": "String", "maxChars": 2, "default": "abc"}, "longer than 2"),
])
def test_parameter_declarations_must_be_consistent(ssm, declaration, needle):
    body = v22(step(), parameters={"p": declaration})
    code, message = refused(ssm, body)
    assert code == "InvalidDocumentContent"
    assert needle in message
    assert '"p"' in message


def test_all_parameter_types_are_accepted(ssm):
    params = {
        "s": {"type": "String", "default": "x", "allowedValues": ["x", "y"]},
        "sl": {"type": "StringList", "default": ["a"]},
        "i": {"type": "Integer", "default": 3},
        "b": {"type": "Boolean", "default": True},
        "sm": {"type": "StringMap", "default": {"k": "v"}},
        "ml": {"type": "MapList", "default": [{"k": "v"}]},
        "req": {"type": "String"},
    }
    d = create(ssm, v22(step(), parameters=params))
    assert [(p["Name"], p["Type"], p.get("DefaultValue")) for p in d["Parameters"]] == [
        ("s", "String", "x"), ("sl", "StringList", '["a"]'), ("i", "Integer", "3"), ("b", "Boolean", "true"),
        ("sm", "StringMap", '{"k":"v"}'), ("ml", "MapList", '[{"k":"v"}]'), ("req", "String", None),
    ]


# --- Automation --------------------------------------------------------------------------------


def runbook(*steps, **extra):
    return {"schemaVersion": "0.3", "description": "rb", "mainSteps": list(steps), **extra}


def test_automation_runbook(ssm):
    body = runbook(
        {"name": "first", "action": "aws:executeAwsApi", "inputs": {"Service": "ec2", "Api": "DescribeInstances"},
         "nextStep": "second"},
        {"name": "second", "action": "aws:sleep", "inputs": {"Duration": "PT1S"}, "onFailure": "step:first"},
        {"name": "pause", "action": "aws:pause"},
        parameters={"InstanceId": {"type": "AWS::EC2::Instance::Id"}, "Ids": {"type": "List<AWS::EC2::Instance::Id>"}},
    )
    d = create(ssm, body, "Automation", fmt=None)
    assert (d["SchemaVersion"], d["PlatformTypes"]) == ("0.3", ["Windows", "Linux", "MacOS"])
    assert [p["Type"] for p in d["Parameters"]] == ["AWS::EC2::Instance::Id", "List<AWS::EC2::Instance::Id>"]


@pytest.mark.parametrize("steps, needle", [
    ([{"name": "a", "action": "aws:teleport", "inputs": {}}], "Action aws:teleport isn't supported."),
    ([{"action": "aws:sleep", "inputs": {"Duration": "PT1S"}}], "must have a name"),
    ([{"name": "a", "inputs": {}}], "must have an action"),
    ([{"name": "a", "action": "aws:sleep"}], "must have inputs"),
    ([{"name": "a", "action": "aws:sleep", "inputs": {}}, {"name": "a", "action": "aws:sleep", "inputs": {}}],
     "used more than once"),
    ([{"name": "a", "action": "aws:sleep", "inputs": {}, "nextStep": "ghost"}], "refers to step ghost"),
    ([{"name": "a", "action": "aws:sleep", "inputs": {}, "onFailure": "step:ghost"}], "refers to step ghost"),
])
def test_automation_rules(ssm, steps, needle):
    code, message = refused(ssm, runbook(*steps), "Automation")
    assert code == "InvalidDocumentContent"
    assert needle in message


@pytest.mark.parametrize("operator", ["Or", "And"])
def test_automation_branch_operators_need_two_expressions(ssm, operator):
    # "Expect at lease two expressions for operator: Or in step: branchOnInstanceState. Provided: 1"
    # (awsdocs/aws-systems-manager-user-guide#186), AWS's wording, typo included.
    branch = {"name": "branchOnInstanceState", "action": "aws:branch", "inputs": {"Choices": [
        {"NextStep": "wait", operator: [{"Variable": "{{ Mode }}", "StringEquals": "a"}]}]}}
    wait = {"name": "wait", "action": "aws:sleep", "inputs": {"Duration": "PT1S"}}
    body = runbook(branch, wait, parameters={"Mode": {"type": "String"}})
    assert refused(ssm, body, "Automation") == ("InvalidDocumentContent", (
        f"Expect at lease two expressions for operator: {operator} in step: branchOnInstanceState. Provided: 1"))
    branch["inputs"]["Choices"][0][operator].append({"Variable": "{{ Mode }}", "StringEquals": "b"})
    assert create(ssm, body, "Automation")["SchemaVersion"] == "0.3"


def test_automation_resource_types_are_runbook_only(ssm):
    body = v22(step(), parameters={"i": {"type": "AWS::EC2::Instance::Id"}})
    assert refused(ssm, body)[0] == "InvalidDocumentContent"


def test_automation_yaml(ssm):
    content = (
        "schemaVersion: '0.3'\ndescription: yaml runbook\nassumeRole: '{{ Role }}'\n"
        "parameters:\n  Role:\n    type: String\n    default: ''\n"
        "mainSteps:\n  - name: wait\n    action: aws:sleep\n    inputs:\n      Duration: PT1S\n"
    )
    d = create(ssm, content, "Automation", fmt="YAML")
    assert (d["DocumentFormat"], d["Description"]) == ("YAML", "yaml runbook")


# --- CloudFormation ----------------------------------------------------------------------------


def test_cloudformation_documents_wrap_a_template(ssm):
    # A template pasted as is: AWS answers with its JSON-schema check's own text (aws/aws-cli#8253).
    code, message = refused(ssm, {"Resources": {}}, "CloudFormation")
    assert (code, message) == ("InvalidDocumentContent", (
        '[message: "object has missing required properties ([\\"schemaVersion\\",\\"templateBody\\"])"'
        " - parent node: /]"))
    code, message = refused(ssm, {"schemaVersion": "1.0"}, "CloudFormation")
    assert message == '[message: "object has missing required properties ([\\"templateBody\\"])" - parent node: /]'
    d = create(ssm, {"schemaVersion": "1.0", "templateBody": {"Resources": {}}}, "CloudFormation")
    assert (d["DocumentType"], d["SchemaVersion"]) == ("CloudFormation", "1.0")


# --- Session -----------------------------------------------------------------------------------


@pytest.mark.parametrize("session_type, section", [
    ("Standard_Stream", "inputs"), ("Port", "properties"), ("InteractiveCommands", "properties"),
    ("NonInteractiveCommands", "properties"),
])
def test_session_types(ssm, session_type, section):
    body = {"schemaVersion": "1.0", "description": "s", "sessionType": session_type, section: {}}
    d = create(ssm, body, "Session")
    assert (d["DocumentType"], d["SchemaVersion"], d["PlatformTypes"]) == ("Session", "1.0", ["Windows", "Linux", "MacOS"])


def test_session_rules(ssm):
    code, message = refused(ssm, {"schemaVersion": "1.0", "sessionType": "Teleport"}, "Session")
    assert code == "InvalidDocumentContent" and "Teleport" in message
    code, _ = refused(ssm, {"schemaVersion": "1.0", "sessionType": "Port", "properties": ["x"]}, "Session")
    assert code == "InvalidDocumentContent"


# --- Change Calendar ---------------------------------------------------------------------------

CALENDAR = (
    "BEGIN:VCALENDAR\r\nPRODID:-//Example//EN\r\nVERSION:2.0\r\nX-CALENDAR-TYPE:DEFAULT_OPEN\r\n"
    "BEGIN:VEVENT\r\nUID:1\r\nSUMMARY:freeze\r\nDTSTART:20240101T000000Z\r\nDTEND:20240102T000000Z\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_change_calendar_is_icalendar_text(ssm):
    d = create(ssm, CALENDAR, "ChangeCalendar", fmt="TEXT")
    assert (d["DocumentType"], d["DocumentFormat"]) == ("ChangeCalendar", "TEXT")
    got = ssm.get_document(Name="content-doc")
    assert (got["Content"], got["DocumentFormat"]) == (CALENDAR, "TEXT")
    # TEXT does not convert
    assert ssm.get_document(Name="content-doc", DocumentFormat="JSON")["Content"] == CALENDAR
    ssm.delete_document(Name="content-doc")
    assert refused(ssm, "BEGIN:VEVENT\nEND:VEVENT", "ChangeCalendar", fmt="TEXT")[0] == "InvalidDocumentContent"
    assert refused(ssm, CALENDAR, "ChangeCalendar", fmt="JSON")[0] == "InvalidDocumentContent"
    assert refused(ssm, "just text", "Command", fmt="TEXT")[0] == "InvalidDocumentContent"


def test_update_validates_content_too(ssm):
    create(ssm, v22(step()))
    code, _ = error_of(ssm.update_document, Name="content-doc", Content=json.dumps(v22(step("aws:nope"))))
    assert code == "InvalidDocumentContent"
    code, _ = error_of(ssm.update_document, Name="content-doc",
                       Content=json.dumps({"schemaVersion": "0.3", "mainSteps": [step()]}))
    assert code == "InvalidDocumentSchemaVersion"
    assert ssm.describe_document(Name="content-doc")["Document"]["LatestVersion"] == "1"
