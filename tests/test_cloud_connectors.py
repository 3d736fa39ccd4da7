"""Cloud connectors: Create/Get/Update/Delete/List records for Azure and GCP, their filters, pages and tags, and
ValidateCloudConnector, which can't reach another cloud offline and says so."""
from __future__ import annotations

import datetime

import pytest
from botocore.exceptions import ClientError

from pages import walk_pages
from wire import raw_call

ROLE = "arn:aws:iam::123456789012:role/multicloud-connector"
TENANT = "11111111-2222-3333-4444-555555555555"
APP = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SUBSCRIPTION = "99999999-8888-7777-6666-555555555555"
AZURE = {"AzureConfiguration": {
    "TenantId": TENANT, "ApplicationId": APP, "TenantDisplayName": "Contoso",
    "Targets": {"Subscriptions": [{"Id": SUBSCRIPTION, "DisplayName": "prod"}]},
}}
GCP = {"GcpConfiguration": {
    "OrganizationId": "123456789",
    "WorkloadIdentityPoolProvider": "projects/123456/locations/global/workloadIdentityPools/aws-pool/providers/aws-prov",
    "ServiceAccountEmail": "connector@my-project.iam.gserviceaccount.com",
    "Targets": {"Projects": [{"ProjectId": "my-project-1"}, {"ProjectId": "other-project"}]},
}}
MISSING = "00000000-0000-0000-0000-000000000000"


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def create(ssm, configuration=AZURE, name="azure-prod", **extra) -> str:
    return ssm.create_cloud_connector(DisplayName=name, RoleArn=ROLE, Configuration=configuration, **extra)[
        "CloudConnectorId"]


def test_create_get_update_delete(ssm):
    connector_id = create(ssm, Description="Contoso production", Tags=[{"Key": "team", "Value": "infra"}])
    got = ssm.get_cloud_connector(CloudConnectorId=connector_id)
    assert got["CloudConnectorArn"] == f"arn:aws:ssm:us-east-1:123456789012:cloud-connector/{connector_id}"
    assert (got["DisplayName"], got["Description"], got["RoleArn"]) == ("azure-prod", "Contoso production", ROLE)
    assert got["Configuration"] == AZURE
    assert isinstance(got["CreatedAt"], datetime.datetime) and got["UpdatedAt"] == got["CreatedAt"]
    tags = ssm.list_tags_for_resource(ResourceType="CloudConnector", ResourceId=connector_id)["TagList"]
    assert tags == [{"Key": "team", "Value": "infra"}]

    moved = {"AzureConfiguration": {**AZURE["AzureConfiguration"], "Targets": {"Subscriptions": [{"Id": TENANT}]}}}
    assert ssm.update_cloud_connector(CloudConnectorId=connector_id, DisplayName="renamed", Configuration=moved)[
        "CloudConnectorId"] == connector_id
    got = ssm.get_cloud_connector(CloudConnectorId=connector_id)
    assert (got["DisplayName"], got["Description"], got["Configuration"]) == ("renamed", "Contoso production", moved)
    assert got["UpdatedAt"] >= got["CreatedAt"]
    code, message = error_of(ssm.update_cloud_connector, CloudConnectorId=connector_id, Configuration=GCP)
    assert code == "ValidationException" and "Azure" in message

    assert ssm.delete_cloud_connector(CloudConnectorId=connector_id)["CloudConnectorId"] == connector_id
    for call in (ssm.get_cloud_connector, ssm.delete_cloud_connector, ssm.validate_cloud_connector):
        assert error_of(call, CloudConnectorId=connector_id)[0] == "ResourceNotFoundException"
    assert error_of(ssm.update_cloud_connector, CloudConnectorId=connector_id, DisplayName="x")[0] == (
        "ResourceNotFoundException")
    assert error_of(ssm.list_tags_for_resource, ResourceType="CloudConnector", ResourceId=connector_id)[0] == (
        "InvalidResourceId")


def test_configuration_needs_one_provider(emulator, ssm):
    # boto3 refuses both before sending them; other clients may not
    empty = raw_call(emulator.url, "CreateCloudConnector", {"DisplayName": "x", "RoleArn": ROLE, "Configuration": {}})
    assert (empty.status, empty.json["__type"]) == (400, "ValidationException")
    assert "exactly one" in empty.json["message"]
    both = raw_call(emulator.url, "CreateCloudConnector",
                    {"DisplayName": "x", "RoleArn": ROLE, "Configuration": {**AZURE, **GCP}})
    # a union with two members is refused by the protocol layer, as for every union of the model
    assert (both.status, both.json["__type"]) == (400, "SerializationException")
    assert "only one of AzureConfiguration, GcpConfiguration" in both.json["message"]
    assert ssm.list_cloud_connectors()["CloudConnectors"] == []


def test_model_constraints_are_checked(ssm):
    bad = {"AzureConfiguration": {**AZURE["AzureConfiguration"], "TenantId": "not-a-guid"}}
    code, message = error_of(ssm.create_cloud_connector, DisplayName="x", RoleArn=ROLE, Configuration=bad)
    assert code == "ValidationException" and "configuration.azureConfiguration.tenantId" in message
    code, _ = error_of(ssm.create_cloud_connector, DisplayName="x", RoleArn="arn:aws:iam::1:user/u",
                       Configuration=AZURE)
    assert code == "ValidationException"


def test_list_filters_and_pages(ssm):
    azure = [create(ssm, name=f"azure-{n}") for n in range(3)]
    gcp = create(ssm, configuration=GCP, name="gcp")
    listed = ssm.list_cloud_connectors()["CloudConnectors"]
    assert [c["CloudConnectorId"] for c in listed] == [*azure, gcp]
    assert [c["Provider"] for c in listed] == ["Azure"] * 3 + ["GCP"]

    def ids(*filters):
        return [c["CloudConnectorId"] for c in ssm.list_cloud_connectors(Filters=list(filters))["CloudConnectors"]]

    assert ids({"FilterKey": "TenantId", "FilterValues": [TENANT]}) == azure
    assert ids({"FilterKey": "SubscriptionId", "FilterValues": [SUBSCRIPTION]}) == azure
    assert ids({"FilterKey": "ProjectId", "FilterValues": ["other-project"]}) == [gcp]
    assert ids({"FilterKey": "OrganizationId", "FilterValues": ["123456789"]},
               {"FilterKey": "ProjectId", "FilterValues": ["my-project-1"]}) == [gcp]
    assert ids({"FilterKey": "ProjectId", "FilterValues": ["nobody"]}) == []

    seen = walk_pages(ssm.list_cloud_connectors, "CloudConnectors", 3)
    assert [c["CloudConnectorId"] for c in seen] == [*azure, gcp]
    assert error_of(ssm.list_cloud_connectors, NextToken="garbage")[0] == "InvalidNextToken"


def test_connectors_are_per_account(client_factory):
    mine, theirs = client_factory(), client_factory(access_key="111122223333")
    connector_id = create(mine)
    assert theirs.list_cloud_connectors()["CloudConnectors"] == []
    assert error_of(theirs.get_cloud_connector, CloudConnectorId=connector_id)[0] == "ResourceNotFoundException"


def test_validation_is_unavailable_offline(ssm):
    connector_id = create(ssm)
    code, message = error_of(ssm.validate_cloud_connector, CloudConnectorId=connector_id)
    assert code == "UnsupportedOperationException"
    assert "not available in ssm-emulator" in message and "offline" in message
    assert error_of(ssm.validate_cloud_connector, CloudConnectorId=MISSING)[0] == "ResourceNotFoundException"
