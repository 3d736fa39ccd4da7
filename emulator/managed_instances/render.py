"""ManagedInstance to response models, built with model_construct: the values are our own, already in the
shapes the model declares."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from api_models.managed_instances import (
    InstanceAggregatedAssociationOverview,
    InstanceInfo,
    InstanceInformation,
    InstanceProperty,
    Node,
    NodeOwnerInfo,
    NodeType,
)
from emulator.managed_instances import model
from emulator.managed_instances.model import ManagedInstance


def _described(i: ManagedInstance) -> dict[str, Any]:
    """The members InstanceInformation and InstanceProperty share."""
    return {
        "InstanceId": i.instance_id,
        "PingStatus": i.ping_status,
        "LastPingDateTime": i.last_ping,
        "AgentVersion": model.AGENT_VERSION,
        "PlatformType": i.platform_type,
        "PlatformName": i.platform_name,
        "PlatformVersion": i.platform_version,
        "ActivationId": i.activation_id,
        "IamRole": i.iam_role,
        "RegistrationDate": i.registered,
        "ResourceType": model.RESOURCE_TYPE,
        "IPAddress": i.ip_address,
        "ComputerName": i.computer_name,
        **_associations(i.associations),
        "SourceId": i.instance_id,
        "SourceType": model.SOURCE_TYPE,
    }


def _associations(a: model.InstanceAssociations | None) -> dict[str, Any]:
    if a is None:
        return {}
    return {
        "AssociationStatus": a.status,
        "LastAssociationExecutionDate": a.last_run,
        "LastSuccessfulAssociationExecutionDate": a.last_success,
        "AssociationOverview": InstanceAggregatedAssociationOverview.model_construct(
            DetailedStatus=a.status, InstanceAssociationStatusAggregatedCount=dict(a.counts)
        ),
    }


def instance_information(i: ManagedInstance) -> InstanceInformation:
    return InstanceInformation.model_construct(**_described(i), IsLatestVersion=True, Name=i.name)


def instance_property(i: ManagedInstance) -> InstanceProperty:
    return InstanceProperty.model_construct(
        **_described(i),
        Name=i.name,
        InstanceRole=i.iam_role,
        Architecture=i.facts.architecture if i.facts else None,
    )


def node(i: ManagedInstance, region: str, captured: datetime) -> Node:
    return Node.model_construct(
        CaptureTime=captured,
        Id=i.instance_id,
        Owner=NodeOwnerInfo.model_construct(AccountId=i.account_id),
        Region=i.region or region,
        NodeType=NodeType.model_construct(
            Instance=InstanceInfo.model_construct(
                AgentType=model.AGENT_TYPE,
                AgentVersion=model.AGENT_VERSION,
                ComputerName=i.computer_name,
                InstanceStatus=i.ping_status,
                IpAddress=i.ip_address,
                ManagedStatus="Managed",
                Name=i.name,
                PlatformType=i.platform_type,
                PlatformName=i.platform_name,
                PlatformVersion=i.platform_version,
                ResourceType=model.RESOURCE_TYPE,
                SourceType=model.SOURCE_TYPE,
                SourceId=i.instance_id,
            )
        ),
    )
