"""RegisterDefaultHostManagementConfiguration and DeregisterDefaultHostManagementConfiguration.

Default Host Management Configuration is the setting /ssm/managed-instance/default-ec2-instance-management-role:
registering a role writes its name (with its path) there, deregistering resets it to "$None". SERVICE_MANAGED
stands for the role Systems Manager creates, service-role/AWSSystemsManagerDefaultEC2InstanceManagementRole
(the emulator has no IAM, so nothing is created, and no role is checked). Containers are managed whatever the
setting says: it changes no instance's credentials here.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from api_models.errors import ValidationException
from api_models.managed_instances import (
    DeregisterDefaultHostManagementConfigurationRequest,
    DeregisterDefaultHostManagementConfigurationResult,
    RegisterDefaultHostManagementConfigurationRequest,
    RegisterDefaultHostManagementConfigurationResult,
)
from emulator.context import RequestContext
from emulator.operations import operation
from emulator.service_settings.catalogue import DHMC_ROLE, NO_ROLE

if TYPE_CHECKING:
    from emulator.service_settings.handlers import ServiceSettings

SERVICE_MANAGED_ROLE = "service-role/AWSSystemsManagerDefaultEC2InstanceManagementRole"
ROLE_ARN = re.compile(r"^arn:aws[a-z0-9-]*:iam::\d{12}:role/(.+)$")
ROLE_REQUIRED = "RoleArn is required when PermissionModel is SELF_MANAGED."
ROLE_NOT_ALLOWED = "RoleArn must not be set when PermissionModel is SERVICE_MANAGED."
ALREADY_REGISTERED = ("The role {role} is already registered for Default Host Management Configuration: set "
                      "Overwrite to true to replace it.")


class DefaultHostManagement:
    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings

    @operation("RegisterDefaultHostManagementConfiguration")
    def register_default_host_management_configuration(
        self, ctx: RequestContext, req: RegisterDefaultHostManagementConfigurationRequest
    ) -> RegisterDefaultHostManagementConfigurationResult:
        if req.PermissionModel == "SELF_MANAGED":
            matched = ROLE_ARN.match(req.RoleArn or "")
            if matched is None:
                raise ValidationException(ROLE_REQUIRED)
            role = matched.group(1)
        else:
            if req.RoleArn:
                raise ValidationException(ROLE_NOT_ALLOWED)
            role = SERVICE_MANAGED_ROLE
        current = self.settings.value(ctx.account_id, ctx.region, DHMC_ROLE)
        if current not in (NO_ROLE, role) and not req.Overwrite:
            raise ValidationException(ALREADY_REGISTERED.format(role=current))
        self.settings.put(ctx, DHMC_ROLE, role)
        return RegisterDefaultHostManagementConfigurationResult.model_construct(
            RoleArn=f"arn:aws:iam::{ctx.account_id}:role/{role}")

    @operation("DeregisterDefaultHostManagementConfiguration")
    def deregister_default_host_management_configuration(
        self, ctx: RequestContext, req: DeregisterDefaultHostManagementConfigurationRequest
    ) -> DeregisterDefaultHostManagementConfigurationResult:
        self.settings.reset(ctx, DHMC_ROLE)
        return DeregisterDefaultHostManagementConfigurationResult.model_construct()
