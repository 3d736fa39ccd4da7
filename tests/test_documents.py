"""Documents: create, read, versions, default version, format conversion, hashes, delete, tags,
AWS-owned documents, change-template reviews."""
from __future__ import annotations

import hashlib
import json

import pytest
import yaml
from botocore.exceptions import ClientError
from wire import raw_call

ACCOUNT = "123456789012"
NOT_FOUND = ("InvalidDocument", "No matching value was found for Name.")
VERSION_NOT_FOUND = ("InvalidDocumentVersion", "The document version isn't valid or doesn't exist.")


def error_of(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    err = info.value.response["Error"]
    return err["Code"], err["Message"]


def command_doc(message: str = "hello", **extra) -> dict:
    doc = {
        "schemaVersion": "2.2",
        "description": f"Say {message}",
        "parameters": {
            "greeting": {"type": "String", "default": message, "description": "What to say"},
            "times": {"type": "Integer", "default": 1},
        },
        "mainSteps": [
            {"action": "aws:runShellScript", "name": "say", "inputs": {"runCommand": ["echo {{ greeting }}"]}}
        ],
    }
    doc.update(extra)
    return doc


def create(ssm, name: str = "my-doc", doc: dict | None = None, **kwargs) -> dict:
    content = json.dumps(doc or command_doc())
    return ssm.create_document(Name=name, Content=content, **{"DocumentType": "Command", **kwargs})["DocumentDescription"]


# --- create and describe -----------------------------------------------------------------------


def test_create_answers_creating_with_derived_fields(ssm):
    content = json.dumps(command_doc())
    d = ssm.create_document(Name="my-doc", Content=content, DocumentType="Command")["DocumentDescription"]
    assert d["Status"] == "Creating"
    assert d["Name"] == "my-doc"
    assert d["Owner"] == ACCOUNT
    assert d["Hash"] == hashlib.sha256(content.encode()).hexdigest()
    assert d["HashType"] == "Sha256"
    assert (d["DocumentVersion"], d["LatestVersion"], d["DefaultVersion"]) == ("1", "1", "1")
    assert d["DocumentType"] == "Command"
    assert d["DocumentFormat"] == "JSON"
    assert d["SchemaVersion"] == "2.2"
    assert d["Description"] == "Say hello"
    assert d["PlatformTypes"] == ["Linux", "MacOS"]
    assert d["Parameters"] == [
        {"Name": "greeting", "Type": "String", "Description": "What to say", "DefaultValue": "hello"},
        {"Name": "times", "Type": "Integer", "DefaultValue": "1"},
    ]
    assert d["Tags"] == []
    assert "Sha1" not in d


def test_describe_afterwards_is_active(ssm):
    create(ssm)
    d = ssm.describe_document(Name="my-doc")["Document"]
    assert d["Status"] == "Active"
    assert d["DocumentVersion"] == "1"
    assert d["CreatedDate"].year >= 2024


def test_document_type_defaults_to_command_and_format_to_json(ssm):
    d = ssm.create_document(Name="defaults", Content=json.dumps(command_doc()))["DocumentDescription"]
    assert (d["DocumentType"], d["DocumentFormat"]) == ("Command", "JSON")


def test_create_stores_optional_fields(ssm):
    d = create(
        ssm, "full-doc", VersionName="release-1", DisplayName="My nice doc", TargetType="/AWS::EC2::Instance",
        Requires=[{"Name": "other-doc", "Version": "1"}],
        Attachments=[{"Key": "SourceUrl", "Values": ["https://example.com/files/app.zip"], "Name": "app.zip"}],
    )
    assert d["VersionName"] == "release-1"
    assert d["DisplayName"] == "My nice doc"
    assert d["TargetType"] == "/AWS::EC2::Instance"
    assert d["Requires"] == [{"Name": "other-doc", "Version": "1"}]
    assert d["AttachmentsInformation"] == [{"Name": "app.zip"}]
    got = ssm.get_document(Name="full-doc")
    assert got["VersionName"] == "release-1"
    assert got["DisplayName"] == "My nice doc"
    assert got["AttachmentsContent"] == [{"Name": "app.zip", "Url": "https://example.com/files/app.zip"}]


def test_already_exists(ssm):
    create(ssm)
    assert error_of(create, ssm) == ("DocumentAlreadyExists", "Document with same name my-doc already exists")


@pytest.mark.parametrize("name", ["AWS-MyDoc", "aws-lower", "AmazonThing", "amazon-x", "AMZN_doc", "amzn1"])
def test_reserved_prefixes_are_refused(ssm, name):
    code, message = error_of(create, ssm, name)
    assert code == "ValidationException"
    assert "aws-, amazon or amzn" in message


@pytest.mark.parametrize("name", ["awsome-doc", "AWSdoc", "my-aws-doc"])
def test_names_merely_containing_aws_are_fine(ssm, name):
    assert create(ssm, name)["Name"] == name


def test_name_pattern_is_validated_before_the_handler(emulator, ssm):
    resp = raw_call(emulator.url, "CreateDocument", {"Name": "bad name!", "Content": "{}"})
    assert resp.status == 400
    assert resp.json["__type"] == "ValidationException"
    assert "Member must satisfy regular expression pattern: ^[a-zA-Z0-9_\\-.]{3,128}$" in resp.json["message"]


def test_missing_document(ssm):
    assert error_of(ssm.get_document, Name="nope-doc") == NOT_FOUND
    assert error_of(ssm.describe_document, Name="nope-doc") == NOT_FOUND
    assert error_of(ssm.delete_document, Name="nope-doc") == NOT_FOUND
    assert error_of(ssm.list_document_versions, Name="nope-doc") == NOT_FOUND
    assert error_of(ssm.update_document, Name="nope-doc", Content="{}") == NOT_FOUND
    assert error_of(ssm.update_document_default_version, Name="nope-doc", DocumentVersion="1") == NOT_FOUND


def test_state_is_isolated_per_account_and_region(ssm, client_factory):
    create(ssm)
    other_region = client_factory(region="eu-west-1")
    other_account = client_factory(access_key="999988887777")
    assert error_of(other_region.describe_document, Name="my-doc") == NOT_FOUND
    assert error_of(other_account.describe_document, Name="my-doc") == NOT_FOUND
    create(other_account)  # the same name is free in another account
    assert other_account.describe_document(Name="my-doc")["Document"]["Owner"] == "999988887777"


def test_get_by_own_arn(ssm):
    create(ssm)
    got = ssm.get_document(Name=f"arn:aws:ssm:us-east-1:{ACCOUNT}:document/my-doc")
    assert got["Name"] == "my-doc"
    # an ARN of another region names nothing here
    assert error_of(ssm.get_document, Name=f"arn:aws:ssm:eu-west-1:{ACCOUNT}:document/my-doc") == NOT_FOUND


# --- versions ----------------------------------------------------------------------------------


def test_update_makes_a_new_latest_version_keeping_the_default(ssm):
    create(ssm)
    d = ssm.update_document(Name="my-doc", Content=json.dumps(command_doc("bye")), DocumentVersion="$LATEST")[
        "DocumentDescription"
    ]
    assert d["Status"] == "Updating"
    assert (d["DocumentVersion"], d["LatestVersion"], d["DefaultVersion"]) == ("2", "2", "1")
    assert d["Description"] == "Say bye"
    # reads without a version show the default version
    assert ssm.describe_document(Name="my-doc")["Document"]["Description"] == "Say hello"
    assert json.loads(ssm.get_document(Name="my-doc")["Content"])["description"] == "Say hello"
    assert json.loads(ssm.get_document(Name="my-doc", DocumentVersion="$LATEST")["Content"])["description"] == "Say bye"
    assert ssm.describe_document(Name="my-doc", DocumentVersion="2")["Document"]["Description"] == "Say bye"
    assert ssm.describe_document(Name="my-doc", DocumentVersion="$DEFAULT")["Document"]["DocumentVersion"] == "1"


def test_update_default_version(ssm):
    create(ssm)
    ssm.update_document(Name="my-doc", Content=json.dumps(command_doc("v2")), VersionName="two")
    out = ssm.update_document_default_version(Name="my-doc", DocumentVersion="2")["Description"]
    assert out == {"Name": "my-doc", "DefaultVersion": "2", "DefaultVersionName": "two"}
    d = ssm.describe_document(Name="my-doc")["Document"]
    assert (d["DocumentVersion"], d["DefaultVersion"], d["Description"]) == ("2", "2", "Say v2")
    listed = ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])["DocumentIdentifiers"]
    assert [(i["DocumentVersion"], i.get("VersionName")) for i in listed] == [("2", "two")]
    assert error_of(ssm.update_document_default_version, Name="my-doc", DocumentVersion="7") == VERSION_NOT_FOUND


def test_update_only_the_latest_version(ssm):
    create(ssm)
    ssm.update_document(Name="my-doc", Content=json.dumps(command_doc("v2")))
    code, message = error_of(ssm.update_document, Name="my-doc", Content=json.dumps(command_doc("v3")), DocumentVersion="1")
    assert code == "InvalidDocumentVersion"
    assert message == (
        "Version provided for document my-doc is not latest. Please provide the latest version to update document my-doc"
    )
    d = ssm.update_document(Name="my-doc", Content=json.dumps(command_doc("v3")), DocumentVersion="2")
    assert d["DocumentDescription"]["DocumentVersion"] == "3"


def test_identical_content_is_a_duplicate(ssm):
    create(ssm)
    ssm.update_document(Name="my-doc", Content=json.dumps(command_doc("v2")))
    for content in (command_doc(), command_doc("v2")):  # the latest and an older version
        code, message = error_of(ssm.update_document, Name="my-doc", Content=json.dumps(content))
        assert code == "DuplicateDocumentContent"
        assert message.startswith("The content of the association document matches another document.")


def test_version_names_are_unique(ssm):
    create(ssm, VersionName="one")
    code, message = error_of(ssm.update_document, Name="my-doc", Content=json.dumps(command_doc("x")), VersionName="one")
    assert code == "DuplicateDocumentVersionName"
    assert message.startswith("The version name has already been used in this document.")
    ssm.update_document(Name="my-doc", Content=json.dumps(command_doc("x")), VersionName="two")
    assert ssm.get_document(Name="my-doc", VersionName="two")["DocumentVersion"] == "2"
    assert ssm.describe_document(Name="my-doc", VersionName="one")["Document"]["DocumentVersion"] == "1"
    assert error_of(ssm.get_document, Name="my-doc", VersionName="three") == VERSION_NOT_FOUND
    # a version name and a version number that disagree
    assert error_of(ssm.get_document, Name="my-doc", VersionName="one", DocumentVersion="2") == VERSION_NOT_FOUND


def test_update_carries_display_name_and_target_type(ssm):
    create(ssm, DisplayName="Shown", TargetType="/AWS::EC2::Instance")
    d = ssm.update_document(Name="my-doc", Content=json.dumps(command_doc("x")))["DocumentDescription"]
    assert (d["DisplayName"], d["TargetType"]) == ("Shown", "/AWS::EC2::Instance")
    d = ssm.update_document(Name="my-doc", Content=json.dumps(command_doc("y")), DisplayName="Renamed")
    assert d["DocumentDescription"]["DisplayName"] == "Renamed"


def test_missing_version(ssm):
    create(ssm)
    assert error_of(ssm.get_document, Name="my-doc", DocumentVersion="5") == VERSION_NOT_FOUND
    assert error_of(ssm.describe_document, Name="my-doc", DocumentVersion="5") == VERSION_NOT_FOUND


def test_version_limit(ssm):
    # AWS keeps at most 1,000 versions of a document.
    create(ssm, "many", doc=command_doc("0"))
    for i in range(1, 1000):
        ssm.update_document(Name="many", Content=json.dumps(command_doc(str(i))))
    code, message = error_of(ssm.update_document, Name="many", Content=json.dumps(command_doc("1000")))
    assert code == "DocumentVersionLimitExceeded"
    assert message == "The document has too many versions. Delete one or more document versions and try again."


def test_list_document_versions_and_paging(ssm):
    create(ssm, VersionName="v1")
    for i in range(2, 6):
        ssm.update_document(Name="my-doc", Content=json.dumps(command_doc(str(i))))
    ssm.update_document_default_version(Name="my-doc", DocumentVersion="3")
    page = ssm.list_document_versions(Name="my-doc", MaxResults=2)
    assert [v["DocumentVersion"] for v in page["DocumentVersions"]] == ["1", "2"]
    first = page["DocumentVersions"][0]
    assert first["Name"] == "my-doc" and first["VersionName"] == "v1" and first["Status"] == "Active"
    assert first["DocumentFormat"] == "JSON" and first["IsDefaultVersion"] is False
    seen = []
    for p in ssm.get_paginator("list_document_versions").paginate(Name="my-doc", PaginationConfig={"PageSize": 2}):
        seen += [(v["DocumentVersion"], v["IsDefaultVersion"]) for v in p["DocumentVersions"]]
    assert seen == [("1", False), ("2", False), ("3", True), ("4", False), ("5", False)]
    assert error_of(ssm.list_document_versions, Name="my-doc", NextToken="garbage")[0] == "InvalidNextToken"


# --- format conversion and hashes --------------------------------------------------------------


def test_get_converts_json_to_yaml_and_back(ssm):
    doc = command_doc()
    content = json.dumps(doc)
    create(ssm, doc=doc)
    got = ssm.get_document(Name="my-doc")
    assert (got["Content"], got["DocumentFormat"]) == (content, "JSON")  # as stored
    as_yaml = ssm.get_document(Name="my-doc", DocumentFormat="YAML")
    assert as_yaml["DocumentFormat"] == "YAML"
    assert as_yaml["Content"].startswith("---\nschemaVersion: '2.2'\n")
    assert yaml.safe_load(as_yaml["Content"]) == doc
    # the hash is of the stored content whatever format it is read in
    assert ssm.describe_document(Name="my-doc")["Document"]["Hash"] == hashlib.sha256(content.encode()).hexdigest()


def test_yaml_document_reads_as_json(ssm):
    content = (
        "schemaVersion: '2.2'\n"
        "description: A YAML doc\n"
        "parameters:\n  when:\n    type: String\n    default: 2024-01-01\n"
        "mainSteps:\n  - action: aws:runPowerShellScript\n    name: run\n"
        "    inputs:\n      runCommand:\n        - Write-Output {{ when }}\n"
    )
    d = ssm.create_document(Name="yaml-doc", Content=content, DocumentFormat="YAML", DocumentType="Command")
    d = d["DocumentDescription"]
    assert (d["DocumentFormat"], d["PlatformTypes"], d["Hash"]) == (
        "YAML", ["Windows"], hashlib.sha256(content.encode()).hexdigest()
    )
    assert ssm.get_document(Name="yaml-doc")["Content"] == content
    as_json = ssm.get_document(Name="yaml-doc", DocumentFormat="JSON")
    assert as_json["DocumentFormat"] == "JSON"
    body = json.loads(as_json["Content"])
    assert body["description"] == "A YAML doc"
    assert body["parameters"]["when"]["default"] == "2024-01-01"  # dates stay strings


# --- delete ------------------------------------------------------------------------------------


def test_delete_document_and_its_tags(ssm):
    create(ssm, Tags=[{"Key": "team", "Value": "a"}])
    assert ssm.delete_document(Name="my-doc")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert error_of(ssm.describe_document, Name="my-doc") == NOT_FOUND
    create(ssm)  # the name is free again, without the old tags
    assert ssm.list_tags_for_resource(ResourceType="Document", ResourceId="my-doc")["TagList"] == []


def test_delete_document_deletes_its_associations(ssm):
    # "Deletes the SSM document and all managed node associations to the document." (DeleteDocument reference)
    create(ssm)
    create(ssm, "other-doc")
    targets = [{"Key": "tag:role", "Values": ["web"]}]
    by_name = ssm.create_association(Name="my-doc", Targets=targets)["AssociationDescription"]["AssociationId"]
    by_arn = ssm.create_association(
        Name=f"arn:aws:ssm:us-east-1:{ACCOUNT}:document/my-doc", Targets=targets
    )["AssociationDescription"]["AssociationId"]
    kept = ssm.create_association(Name="other-doc", Targets=targets)["AssociationDescription"]["AssociationId"]
    ssm.delete_document(Name="my-doc")
    assert [a["AssociationId"] for a in ssm.list_associations()["Associations"]] == [kept]
    for gone in (by_name, by_arn):
        assert error_of(ssm.describe_association, AssociationId=gone)[0] == "AssociationDoesNotExist"
    ssm.delete_association(AssociationId=kept)


def test_delete_one_version(ssm):
    create(ssm, VersionName="one")
    ssm.update_document(Name="my-doc", Content=json.dumps(command_doc("2")), VersionName="two")
    ssm.update_document(Name="my-doc", Content=json.dumps(command_doc("3")))
    code, message = error_of(ssm.delete_document, Name="my-doc", DocumentVersion="1")
    assert (code, message) == ("InvalidDocumentOperation", "Default version of the document can't be deleted.")
    ssm.delete_document(Name="my-doc", VersionName="two")
    assert [v["DocumentVersion"] for v in ssm.list_document_versions(Name="my-doc")["DocumentVersions"]] == ["1", "3"]
    ssm.delete_document(Name="my-doc", DocumentVersion="3")
    assert ssm.describe_document(Name="my-doc")["Document"]["LatestVersion"] == "1"
    assert error_of(ssm.delete_document, Name="my-doc", DocumentVersion="9")[0] == "InvalidDocument"


def test_delete_application_configuration_schema_needs_force(ssm):
    ssm.create_document(Name="app-schema", Content=json.dumps({"$schema": "x", "type": "object"}),
                        DocumentType="ApplicationConfigurationSchema")
    assert error_of(ssm.delete_document, Name="app-schema")[0] == "InvalidDocumentOperation"
    ssm.delete_document(Name="app-schema", Force=True)
    assert error_of(ssm.describe_document, Name="app-schema") == NOT_FOUND


# --- tags --------------------------------------------------------------------------------------


def test_tags_through_the_tags_registry(ssm):
    create(ssm, Tags=[{"Key": "team", "Value": "a"}])
    ssm.add_tags_to_resource(ResourceType="Document", ResourceId="my-doc", Tags=[{"Key": "env", "Value": "prod"}])
    tags = ssm.list_tags_for_resource(ResourceType="Document", ResourceId="my-doc")["TagList"]
    assert tags == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "a"}]
    assert ssm.describe_document(Name="my-doc")["Document"]["Tags"] == tags
    listed = ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])["DocumentIdentifiers"]
    assert listed[0]["Tags"] == tags
    ssm.remove_tags_from_resource(ResourceType="Document", ResourceId="my-doc", TagKeys=["team"])
    assert ssm.describe_document(Name="my-doc")["Document"]["Tags"] == [{"Key": "env", "Value": "prod"}]
    code, _ = error_of(ssm.add_tags_to_resource, ResourceType="Document", ResourceId="nope-doc",
                       Tags=[{"Key": "a", "Value": "b"}])
    assert code == "InvalidResourceId"
    # AWS-owned documents are not the caller's to tag
    code, _ = error_of(ssm.add_tags_to_resource, ResourceType="Document", ResourceId="AWS-RunShellScript",
                       Tags=[{"Key": "a", "Value": "b"}])
    assert code == "InvalidResourceId"


# --- AWS-owned documents -----------------------------------------------------------------------

AWS_OWNED = [
    "AWS-RunShellScript", "AWS-RunPowerShellScript", "AWS-GatherSoftwareInventory", "AWS-RunPatchBaseline",
    "AWS-ConfigureAWSPackage", "AWS-UpdateSSMAgent", "SSM-SessionManagerRunShell", "AWS-StartInteractiveCommand",
    "AWS-StartNonInteractiveCommand", "AWS-StartPortForwardingSession", "AWS-StartPortForwardingSessionToRemoteHost",
    "AWS-StartSSHSession", "AWS-StartEC2Instance", "AWS-StopEC2Instance", "AWS-RestartEC2Instance",
    "AWS-CreateImage", "AWS-DeleteImage", "AWS-RunRemoteScript", "AWS-RunDocument",
    "AWS-RefreshAssociation",
]


def test_aws_owned_documents_are_listed_with_owner_amazon(ssm):
    names = []
    for page in ssm.get_paginator("list_documents").paginate(Filters=[{"Key": "Owner", "Values": ["Amazon"]}]):
        names += [(i["Name"], i["Owner"]) for i in page["DocumentIdentifiers"]]
    assert set(AWS_OWNED) <= {n for n, _ in names}
    assert {o for _, o in names} == {"Amazon"}
    assert [n for n, _ in names] == sorted(n for n, _ in names)


@pytest.mark.parametrize("region", ["us-east-1", "ap-southeast-2"])
def test_aws_owned_documents_are_readable_everywhere(client_factory, region):
    ssm = client_factory(region=region, access_key="444455556666")
    d = ssm.describe_document(Name="AWS-RunShellScript")["Document"]
    assert (d["Owner"], d["DocumentType"], d["SchemaVersion"], d["PlatformTypes"]) == (
        "Amazon", "Command", "1.2", ["Linux", "MacOS"]
    )
    assert [(p["Name"], p["Type"], p.get("DefaultValue")) for p in d["Parameters"]] == [
        ("commands", "StringList", None), ("workingDirectory", "String", ""), ("executionTimeout", "String", "3600")
    ]
    content = json.loads(ssm.get_document(Name="AWS-RunShellScript")["Content"])
    assert content["runtimeConfig"]["aws:runShellScript"]["properties"][0]["runCommand"] == "{{ commands }}"
    by_arn = ssm.get_document(Name=f"arn:aws:ssm:{region}::document/AWS-RunShellScript")
    assert by_arn["Name"] == "AWS-RunShellScript"


def test_aws_owned_document_facts(ssm):
    def describe(name):
        return ssm.describe_document(Name=name)["Document"]

    def params(name):
        return {p["Name"]: p for p in describe(name)["Parameters"]}

    assert describe("AWS-RunPowerShellScript")["PlatformTypes"] == ["Windows"]
    assert params("AWS-RunPatchBaseline")["RebootOption"]["DefaultValue"] == "RebootIfNeeded"
    assert "Operation" in params("AWS-RunPatchBaseline") and "DefaultValue" not in params("AWS-RunPatchBaseline")["Operation"]
    assert params("AWS-ConfigureAWSPackage")["additionalArguments"]["Type"] == "StringMap"
    assert describe("AWS-StartSSHSession")["DocumentType"] == "Session"
    assert params("AWS-StartSSHSession")["portNumber"]["DefaultValue"] == "22"
    assert set(params("AWS-StartPortForwardingSessionToRemoteHost")) == {"portNumber", "localPortNumber", "host"}
    ec2 = describe("AWS-StopEC2Instance")
    assert (ec2["DocumentType"], ec2["SchemaVersion"], ec2["DocumentFormat"]) == ("Automation", "0.3", "YAML")
    assert params("AWS-CreateImage")["NoReboot"] == {
        "Name": "NoReboot", "Type": "Boolean", "DefaultValue": "false",
        "Description": "(Optional) Do not reboot the instance before creating the image.",
    }
    assert describe("SSM-SessionManagerRunShell")["DocumentType"] == "Session"
    assert describe("AWS-GatherSoftwareInventory")["SchemaVersion"] == "2.0"
    assert params("AWS-UpdateSSMAgent")["allowDowngrade"]["DefaultValue"] == "false"


def test_aws_owned_documents_are_read_only(ssm):
    content = json.dumps(command_doc())
    assert error_of(ssm.update_document, Name="AWS-RunShellScript", Content=content) == NOT_FOUND
    assert error_of(ssm.delete_document, Name="AWS-RunShellScript") == NOT_FOUND
    assert error_of(ssm.update_document_default_version, Name="AWS-RunShellScript", DocumentVersion="1") == NOT_FOUND
    assert error_of(ssm.modify_document_permission, Name="AWS-RunShellScript", PermissionType="Share",
                    AccountIdsToAdd=["111122223333"]) == NOT_FOUND
    assert ssm.describe_document(Name="AWS-RunShellScript")["Document"]["Owner"] == "Amazon"


def test_an_account_may_shadow_ssm_session_manager_run_shell(ssm):
    # SSM-SessionManagerRunShell is the document Session Manager preferences live in; accounts
    # create their own (Terraform modules do), which then wins over AWS's for that account.
    doc = {"schemaVersion": "1.0", "description": "prefs", "sessionType": "Standard_Stream",
           "inputs": {"s3BucketName": "logs", "runAsEnabled": False}}
    ssm.create_document(Name="SSM-SessionManagerRunShell", Content=json.dumps(doc), DocumentType="Session")
    d = ssm.describe_document(Name="SSM-SessionManagerRunShell")["Document"]
    assert (d["Owner"], d["Description"]) == (ACCOUNT, "prefs")


# --- change template reviews -------------------------------------------------------------------


def change_template(step: str = "approve") -> str:
    return json.dumps({
        "schemaVersion": "0.3",
        "description": "A change template",
        "templateInformation": "# What this template does",
        "mainSteps": [{"name": step, "action": "aws:approve", "inputs": {"Approvers": ["arn:aws:iam::123456789012:role/x"]}}],
    })


def test_change_template_review_lifecycle(ssm):
    d = ssm.create_document(Name="my-template", Content=change_template(), DocumentType="Automation.ChangeTemplate")
    assert d["DocumentDescription"]["ReviewStatus"] == "NOT_REVIEWED"
    ssm.update_document_metadata(Name="my-template", DocumentVersion="1",
                                 DocumentReviews={"Action": "SendForReview",
                                                  "Comment": [{"Type": "Comment", "Content": "please"}]})
    d = ssm.describe_document(Name="my-template")["Document"]
    assert (d["ReviewStatus"], d["PendingReviewVersion"]) == ("PENDING", "1")
    ssm.update_document_metadata(Name="my-template", DocumentVersion="1", DocumentReviews={"Action": "Approve"})
    d = ssm.describe_document(Name="my-template")["Document"]
    assert (d["ReviewStatus"], d["ApprovedVersion"]) == ("APPROVED", "1")
    assert "PendingReviewVersion" not in d
    assert d["ReviewInformation"][0]["Status"] == "APPROVED"
    history = ssm.list_document_metadata_history(Name="my-template", DocumentVersion="1", Metadata="DocumentReviews")
    assert history["Name"] == "my-template" and history["DocumentVersion"] == "1"
    responses = history["Metadata"]["ReviewerResponse"]
    assert [r["ReviewStatus"] for r in responses] == ["PENDING", "APPROVED"]
    assert responses[0]["Comment"] == [{"Type": "Comment", "Content": "please"}]
    # a newer version approved rejects the older one
    ssm.update_document(Name="my-template", Content=change_template("approve2"))
    ssm.update_document_metadata(Name="my-template", DocumentVersion="2", DocumentReviews={"Action": "SendForReview"})
    ssm.update_document_metadata(Name="my-template", DocumentVersion="2", DocumentReviews={"Action": "Approve"})
    versions = {v["DocumentVersion"]: v["ReviewStatus"] for v in ssm.list_document_versions(Name="my-template")["DocumentVersions"]}
    assert versions == {"1": "REJECTED", "2": "APPROVED"}


def test_review_errors(ssm):
    ssm.create_document(Name="my-template", Content=change_template(), DocumentType="Automation.ChangeTemplate")
    code, _ = error_of(ssm.update_document_metadata, Name="my-template", DocumentReviews={"Action": "Approve"})
    assert code == "InvalidDocumentOperation"  # nothing in review
    code, _ = error_of(ssm.update_document_metadata, Name="my-template", DocumentVersion="4",
                       DocumentReviews={"Action": "SendForReview"})
    assert code == "InvalidDocumentVersion"
    create(ssm)
    code, _ = error_of(ssm.update_document_metadata, Name="my-doc", DocumentReviews={"Action": "SendForReview"})
    assert code == "InvalidDocumentOperation"  # not a change template
    assert error_of(ssm.list_document_metadata_history, Name="nope-doc", Metadata="DocumentReviews") == NOT_FOUND
