"""What a managed instance is, as the rest of the emulator sees it, and how its ID is made."""
from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from emulator.backends import HostFacts
from emulator import clock

# A recent SSM Agent release (3.3.x, 2024); reported with IsLatestVersion true, since nothing here
# ever updates an agent.
AGENT_VERSION = "3.3.1957.0"
AGENT_TYPE = "amazon-ssm-agent"
RESOURCE_TYPE = "ManagedInstance"  # non-EC2 machines are ManagedInstance; "EC2Instance" is for i- IDs
SOURCE_TYPE = "AWS::SSM::ManagedInstance"
ONLINE = "Online"
CONNECTION_LOST = "ConnectionLost"



def instance_id_for(backend: str, *identity: object) -> str:
    """`mi-` and 17 hex digits hashed from what identifies the machine: the same container (by name) or
    SSH host (host, port, user) gets the same ID in every emulator and across restarts."""
    text = "\0".join([backend, *(str(part) for part in identity)])
    return "mi-" + hashlib.sha256(text.encode()).hexdigest()[:17]


def ssh_identity(host: str, port: int, username: str) -> tuple[str, int, str]:
    return (host.lower(), port, username)


@dataclass(frozen=True)
class InstanceAssociations:
    """What State Manager applied on an instance, as DescribeInstanceInformation and DescribeInstanceProperties
    report it: AssociationStatus, LastAssociationExecutionDate, LastSuccessfulAssociationExecutionDate and
    AssociationOverview (the instance's associations counted by their latest status)."""

    status: str  # Success | Pending | Failed
    counts: Mapping[str, int]
    last_run: datetime | None
    last_success: datetime | None


@dataclass(frozen=True)
class ManagedInstance:
    """A managed instance: who owns it, whether its agent would answer, and its platform facts."""

    instance_id: str
    account_id: str
    region: str | None  # None: visible in every region of its account
    backend: str  # "docker" | "ssh"
    source: str  # "api" | "config" | "discovery"
    ping_status: str  # "Online" | "ConnectionLost"
    last_ping: datetime | None
    registered: datetime
    facts: HostFacts | None  # None until the machine first answered
    tags: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None  # an activation's DefaultInstanceName
    iam_role: str | None = None
    activation_id: str | None = None
    associations: InstanceAssociations | None = None  # set by State Manager once one applied here

    @property
    def association_status(self) -> str | None:
        return self.associations.status if self.associations else None

    @property
    def online(self) -> bool:
        return self.ping_status == ONLINE

    @property
    def platform_type(self) -> str | None:
        return self.facts.platform_type if self.facts else None

    @property
    def platform_name(self) -> str | None:
        return (self.facts.platform_name or None) if self.facts else None

    @property
    def platform_version(self) -> str | None:
        # Unknown with the name: SSM Agent sends neither when it can't tell the platform.
        return self.facts.platform_version if self.facts and self.platform_name else None

    @property
    def ip_address(self) -> str | None:
        return (self.facts.ip_address or None) if self.facts else None

    @property
    def computer_name(self) -> str | None:
        return (self.facts.hostname or None) if self.facts else None

    def visible_to(self, account_id: str, region: str) -> bool:
        return self.account_id == account_id and self.region in (None, region)


def timestamp(epoch: float | None) -> datetime | None:
    return None if epoch is None else clock.timestamp(epoch)


def facts_from_json(text: str | None) -> HostFacts | None:
    if not text:
        return None
    return HostFacts(**json.loads(text))


def from_row(row: sqlite3.Row, tags: Mapping[str, str]) -> ManagedInstance:
    return ManagedInstance(
        instance_id=row["id"],
        account_id=row["account"],
        region=row["region"],
        backend=row["backend"],
        source=row["source"],
        ping_status=row["ping_status"],
        last_ping=timestamp(row["last_ping"]),
        registered=timestamp(row["registered"]),  # type: ignore[arg-type]
        facts=facts_from_json(row["facts"]),
        tags=dict(tags),
        name=row["name"],
        iam_role=row["iam_role"],
        activation_id=row["activation_id"],
    )
