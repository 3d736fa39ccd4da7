"""Rows to response models. Models are built with model_construct: the values come from our own
store, already in the shapes the model declares, so validating them again would only cost time."""
from __future__ import annotations

import sqlite3

from api_models.parameter_store import Parameter, ParameterHistory, ParameterMetadata
from emulator.parameter_store import policies, public
from emulator.clock import timestamp

SECURE = "SecureString"




def parameter(row: sqlite3.Row, name: str, arn: str, value: str, selector: str | None = None) -> Parameter:
    """A Parameter from a ps_parameter or ps_version row (both have these columns)."""
    return Parameter.model_construct(
        Name=name,
        Type=row["type"],
        Value=value,
        Version=row["version"],
        Selector=selector,
        LastModifiedDate=timestamp(row["last_modified"]),
        ARN=arn,
        DataType=row["data_type"],
    )


def public_parameter(key: str, value: str, arn: str, selector: str | None = None) -> Parameter:
    return Parameter.model_construct(
        Name=key,
        Type="String",
        Value=value,
        Version=public.VERSION,
        Selector=selector,
        LastModifiedDate=timestamp(public.LAST_MODIFIED),
        ARN=arn,
        DataType="text",
    )


def metadata(row: sqlite3.Row, arn: str, now: float) -> ParameterMetadata:
    stored = row["policies"]
    return ParameterMetadata.model_construct(
        Name=row["name"],
        ARN=arn,
        Type=row["type"],
        KeyId=row["key_id"] if row["type"] == SECURE else None,
        LastModifiedDate=timestamp(row["last_modified"]),
        LastModifiedUser=row["last_modified_user"],
        Description=row["description"],
        AllowedPattern=row["allowed_pattern"],
        Version=row["version"],
        Tier=row["tier"],
        Policies=policies.described(stored, row["last_modified"], now) if stored else [],
        DataType=row["data_type"],
    )


def history(row: sqlite3.Row, value: str, labels: list[str], now: float) -> ParameterHistory:
    stored = row["policies"]
    return ParameterHistory.model_construct(
        Name=row["name"],
        Type=row["type"],
        KeyId=row["key_id"] if row["type"] == SECURE else None,
        LastModifiedDate=timestamp(row["last_modified"]),
        LastModifiedUser=row["last_modified_user"],
        Description=row["description"],
        Value=value,
        AllowedPattern=row["allowed_pattern"],
        Version=row["version"],
        Labels=labels,
        Tier=row["tier"],
        Policies=policies.described(stored, row["last_modified"], now) if stored else [],
        DataType=row["data_type"],
    )


def public_history(key: str, value: str) -> ParameterHistory:
    return ParameterHistory.model_construct(
        Name=key,
        Type="String",
        LastModifiedDate=timestamp(public.LAST_MODIFIED),
        LastModifiedUser="AWS",
        Value=value,
        Version=public.VERSION,
        Labels=[],
        Tier="Standard",
        Policies=[],
        DataType="text",
    )
