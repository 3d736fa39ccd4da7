"""Service settings and Default Host Management Configuration against the real server, over boto3 and the AWS
CLI."""
from __future__ import annotations

import json

import pytest

from test_awscli import aws
from test_parameter_store import error_of

HIGH_THROUGHPUT = "/ssm/parameter-store/high-throughput-enabled"
DHMC = "/ssm/managed-instance/default-ec2-instance-management-role"
DEFAULTS = {
    HIGH_THROUGHPUT: "false",
    "/ssm/parameter-store/default-parameter-tier": "Standard",
    "/ssm/managed-instance/activation-tier": "standard",
    "/ssm/documents/console/public-sharing-permission": "Enable",
    "/ssm/opsinsights/opscenter": "Disabled",
    DHMC: "$None",
}


def setting(ssm, setting_id: str) -> dict:
    return ssm.get_service_setting(SettingId=setting_id)["ServiceSetting"]


@pytest.mark.parametrize("setting_id", sorted(DEFAULTS))
def test_defaults(ssm, setting_id):
    found = setting(ssm, setting_id)
    assert found["SettingId"] == setting_id and found["SettingValue"] == DEFAULTS[setting_id]
    assert found["Status"] == "Default" and found["LastModifiedUser"] == "System"
    assert found["ARN"] == f"arn:aws:ssm:us-east-1:123456789012:servicesetting{setting_id}"


def test_update_and_reset(ssm, client_factory):
    arn = f"arn:aws:ssm:us-east-1:123456789012:servicesetting{HIGH_THROUGHPUT}"
    ssm.update_service_setting(SettingId=arn, SettingValue="true")  # the ARN form is accepted
    found = setting(ssm, HIGH_THROUGHPUT)
    assert (found["SettingValue"], found["Status"]) == ("true", "Customized")
    assert found["LastModifiedUser"] == "arn:aws:iam::123456789012:root"
    # Per Region: another Region keeps its default.
    assert setting(client_factory(region="eu-west-1"), HIGH_THROUGHPUT)["SettingValue"] == "false"
    reset = ssm.reset_service_setting(SettingId=HIGH_THROUGHPUT)["ServiceSetting"]
    assert (reset["SettingValue"], reset["Status"]) == ("false", "Default")
    assert setting(ssm, HIGH_THROUGHPUT)["Status"] == "Default"


def test_errors(ssm):
    for call in (ssm.get_service_setting, ssm.reset_service_setting):
        assert error_of(call, SettingId="/ssm/no/such/setting")[0] == "ServiceSettingNotFound"
    assert error_of(ssm.update_service_setting, SettingId="/ssm/no/such/setting", SettingValue="x")[0] == \
        "ServiceSettingNotFound"
    for setting_id, value in ((HIGH_THROUGHPUT, "yes"), ("/ssm/parameter-store/default-parameter-tier", "Gold"),
                              ("/ssm/opsinsights/opscenter", "true"), (DHMC, "no spaces allowed")):
        code, message = error_of(ssm.update_service_setting, SettingId=setting_id, SettingValue=value)
        assert code == "ValidationException" and value in message
    assert setting(ssm, HIGH_THROUGHPUT)["Status"] == "Default"


def test_default_host_management_configuration(ssm):
    registered = ssm.register_default_host_management_configuration(PermissionModel="SERVICE_MANAGED")
    assert registered["RoleArn"] == \
        "arn:aws:iam::123456789012:role/service-role/AWSSystemsManagerDefaultEC2InstanceManagementRole"
    assert setting(ssm, DHMC)["SettingValue"] == "service-role/AWSSystemsManagerDefaultEC2InstanceManagementRole"
    mine = "arn:aws:iam::123456789012:role/ops/MyDhmcRole"
    assert error_of(ssm.register_default_host_management_configuration, PermissionModel="SELF_MANAGED",
                    RoleArn=mine)[0] == "ValidationException"  # not without Overwrite
    ssm.register_default_host_management_configuration(PermissionModel="SELF_MANAGED", RoleArn=mine, Overwrite=True)
    assert setting(ssm, DHMC)["SettingValue"] == "ops/MyDhmcRole"
    assert error_of(ssm.register_default_host_management_configuration, PermissionModel="SELF_MANAGED")[0] == \
        "ValidationException"
    assert error_of(ssm.register_default_host_management_configuration, PermissionModel="SERVICE_MANAGED",
                    RoleArn=mine, Overwrite=True)[0] == "ValidationException"
    ssm.deregister_default_host_management_configuration()
    assert (setting(ssm, DHMC)["SettingValue"], setting(ssm, DHMC)["Status"]) == ("$None", "Default")


def test_cli_round_trip(ssm, emulator, tmp_path):
    updated = aws(emulator.url, "update-service-setting", "--setting-id",
                  "/ssm/documents/console/public-sharing-permission", "--setting-value", "Disable", tmp=tmp_path)
    assert updated.returncode == 0, updated.stderr
    got = aws(emulator.url, "get-service-setting", "--setting-id",
              "/ssm/documents/console/public-sharing-permission", tmp=tmp_path)
    assert got.returncode == 0, got.stderr
    found = json.loads(got.stdout)["ServiceSetting"]
    assert (found["SettingValue"], found["Status"]) == ("Disable", "Customized")
    assert found["ARN"] == \
        "arn:aws:ssm:eu-west-1:123456789012:servicesetting/ssm/documents/console/public-sharing-permission"
    missing = aws(emulator.url, "get-service-setting", "--setting-id", "/ssm/nope", tmp=tmp_path)
    assert missing.returncode != 0 and "ServiceSettingNotFound" in missing.stderr


def test_default_parameter_tier_is_the_tier_new_parameters_take(ssm):
    setting = "/ssm/parameter-store/default-parameter-tier"
    ssm.update_service_setting(SettingId=setting, SettingValue="Advanced")
    try:
        assert ssm.put_parameter(Name="/tier/new", Value="v", Type="String")["Tier"] == "Advanced"
        assert ssm.put_parameter(Name="/tier/asked", Value="v", Type="String", Tier="Standard")["Tier"] == "Standard"
        ssm.update_service_setting(SettingId=setting, SettingValue="Intelligent-Tiering")
        assert ssm.put_parameter(Name="/tier/small", Value="v", Type="String")["Tier"] == "Standard"
        assert ssm.put_parameter(Name="/tier/big", Value="x" * 5000, Type="String")["Tier"] == "Advanced"
        # an existing parameter keeps its tier when overwritten without one
        assert ssm.put_parameter(Name="/tier/asked", Value="w", Type="String", Overwrite=True)["Tier"] == "Standard"
    finally:
        ssm.reset_service_setting(SettingId=setting)
    assert ssm.put_parameter(Name="/tier/after", Value="v", Type="String")["Tier"] == "Standard"
