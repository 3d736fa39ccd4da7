"""Hybrid activations: CreateActivation, DescribeActivations, DeleteActivation, and `consume`, the check a
registration with an activation code and ID goes through (pair, expiry, RegistrationLimit).

Activations are regional, like AWS's: an instance registered with one belongs to the activation's account
and region, and takes its IamRole, DefaultInstanceName and tags.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sqlite3
import uuid
from typing import TYPE_CHECKING, Any

from api_models.errors import InvalidActivation, InvalidActivationId, InvalidFilter, ValidationException
from api_models.managed_instances import (
    Activation,
    CreateActivationRequest,
    CreateActivationResult,
    DeleteActivationRequest,
    DescribeActivationsRequest,
    DescribeActivationsResult,
)
from api_models.shared import Tag
from emulator import paging
from emulator.context import RequestContext
from emulator.managed_instances import storage
from emulator.managed_instances.model import timestamp
from emulator.managed_instances.schema import COMPONENT, MIGRATIONS
from emulator.managed_instances.spec import RegistrationError
from emulator.operations import operation

if TYPE_CHECKING:
    from emulator.services import Services

DEFAULT_REGISTRATION_LIMIT = 1
# "If you don't provide an expiration date, the activation code expires in 24 hours."
DEFAULT_LIFETIME_SECONDS = 24 * 3600
MAX_LIFETIME_SECONDS = 30 * 24 * 3600  # "You can specify a date up to 30 days in advance."
DEFAULT_PAGE = 50
CODE_LENGTH = 20  # AWS's codes: 20 characters of the base64 alphabet, e.g. "QC2CV0/lRfn+LTqf23Bf"

# The model's own descriptions of the two errors.
INVALID_ACTIVATION_ID = (
    "The activation ID isn't valid. Verify that you entered the correct ActivationId or ActivationCode and try again."
)
INVALID_ACTIVATION = (
    "The activation isn't valid. The activation might have been deleted, or the ActivationId and the "
    "ActivationCode don't match."
)
ACTIVATION_EXPIRED = "Activation expired. Create a new activation to register more managed nodes."
LIMIT_REACHED = "Activation {id} has reached its registration limit of {limit}."
# AWS states the bounds (24 hours by default, up to 30 days ahead); the wording of its refusals is ours.
EXPIRATION_IN_PAST = "ExpirationDate must be in the future."
EXPIRATION_TOO_FAR = "ExpirationDate can be at most 30 days in the future."
_FILTER_COLUMNS = {"ActivationIds": "id", "DefaultInstanceName": "default_instance_name", "IamRole": "iam_role"}


def new_code() -> str:
    return base64.b64encode(secrets.token_bytes(15)).decode("ascii")[:CODE_LENGTH]


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def consume(
    conn: sqlite3.Connection, activation_id: str, code: str, region: str | None, now: float
) -> sqlite3.Row:
    """Check an activation code and ID for one more registration and count it; the activation's row.

    RegistrationError with code InvalidActivationId / InvalidActivation otherwise (as the agent's
    registration call answers them).
    """
    row = storage.get_activation(conn, activation_id)
    if row is None or (region is not None and region != row["region"]):
        raise RegistrationError(INVALID_ACTIVATION_ID, "InvalidActivationId")
    if row["deleted"] or not hmac.compare_digest(_digest(code), row["code_sha256"]):
        raise RegistrationError(INVALID_ACTIVATION, "InvalidActivation")
    if row["expires"] <= now:
        raise RegistrationError(ACTIVATION_EXPIRED, "InvalidActivation")
    if row["registrations_count"] >= row["registration_limit"]:
        raise RegistrationError(
            LIMIT_REACHED.format(id=activation_id, limit=row["registration_limit"]), "InvalidActivation"
        )
    storage.count_registration(conn, activation_id)
    return row


class HybridActivations:
    def __init__(self, services: Services) -> None:
        self.db = services.db
        self.clock = services.clock
        self.db.migrate(COMPONENT, MIGRATIONS)

    @operation("CreateActivation")
    def create_activation(self, ctx: RequestContext, req: CreateActivationRequest) -> CreateActivationResult:
        now = self.clock.time()
        expires = req.ExpirationDate.timestamp() if req.ExpirationDate is not None else now + DEFAULT_LIFETIME_SECONDS
        if expires <= now:
            raise ValidationException(EXPIRATION_IN_PAST)
        if expires > now + MAX_LIFETIME_SECONDS:
            raise ValidationException(EXPIRATION_TOO_FAR)
        activation_id, code = str(uuid.uuid4()), new_code()
        with self.db.write() as conn:
            storage.insert_activation(
                conn,
                id=activation_id,
                account=ctx.account_id,
                region=ctx.region,
                code_sha256=_digest(code),
                description=req.Description,
                default_instance_name=req.DefaultInstanceName,
                iam_role=req.IamRole,
                registration_limit=req.RegistrationLimit or DEFAULT_REGISTRATION_LIMIT,
                expires=expires,
                created=now,
                tags=[[t.Key, t.Value] for t in req.Tags or ()],
                metadata=[[m.Key, m.Value] for m in req.RegistrationMetadata] if req.RegistrationMetadata else None,
            )
        return CreateActivationResult.model_construct(ActivationId=activation_id, ActivationCode=code)

    @operation("DescribeActivations")
    def describe_activations(
        self, ctx: RequestContext, req: DescribeActivationsRequest
    ) -> DescribeActivationsResult:
        where: list[str] = []
        params: list[Any] = []
        for f in req.Filters or ():
            column = _FILTER_COLUMNS.get(f.FilterKey or "")
            if column is None:
                raise InvalidFilter(f"The filter key {f.FilterKey} isn't valid.")
            values = list(f.FilterValues or ())
            if not values:
                raise InvalidFilter(f"The filter {f.FilterKey} needs at least one value.")
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            params += values
        limit = req.MaxResults or DEFAULT_PAGE
        after = paging.decode("DescribeActivations", req.NextToken, int)
        now = self.clock.time()
        with self.db.read() as conn:
            rows = storage.list_activations(conn, ctx.account_id, ctx.region, after or 0, where, params, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return DescribeActivationsResult.model_construct(
            ActivationList=[_activation(row, now) for row in rows],
            NextToken=paging.encode("DescribeActivations", rows[-1]["seq"]) if more else None,
        )

    @operation("DeleteActivation")
    def delete_activation(self, ctx: RequestContext, req: DeleteActivationRequest) -> None:
        with self.db.write() as conn:
            row = storage.get_activation(conn, req.ActivationId)
            if row is None or row["account"] != ctx.account_id or row["region"] != ctx.region:
                raise InvalidActivationId(INVALID_ACTIVATION_ID)
            if row["deleted"]:
                raise InvalidActivation(INVALID_ACTIVATION)
            storage.delete_activation(conn, req.ActivationId)


def _activation(row: sqlite3.Row, now: float) -> Activation:
    return Activation.model_construct(
        ActivationId=row["id"],
        Description=row["description"],
        DefaultInstanceName=row["default_instance_name"],
        IamRole=row["iam_role"],
        RegistrationLimit=row["registration_limit"],
        RegistrationsCount=row["registrations_count"],
        ExpirationDate=timestamp(row["expires"]),
        Expired=row["expires"] <= now,
        CreatedDate=timestamp(row["created"]),
        Tags=[Tag.model_construct(Key=k, Value=v) for k, v in storage.activation_tags(row)],
    )
