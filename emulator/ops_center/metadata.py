"""OpsMetadata: CreateOpsMetadata, GetOpsMetadata, UpdateOpsMetadata, DeleteOpsMetadata, ListOpsMetadata.

An OpsMetadata object holds up to 5 metadata keys for one resource (Application Manager's applications). Its ARN
is arn:aws:ssm:<region>:<account>:opsmetadata/<path>: for a resource group ARN the path is
aws/ssm/<group>/appmanager, as Application Manager makes it; for a CloudFormation stack
aws/cloudformation/<stack>/appmanager; for anything else the ResourceId itself, with the characters an ARN path
can't hold (outside [A-Za-z0-9-_./]) replaced by "-". The tagging ResourceId is that path (with or without a
leading "/"), as AWS documents.
"""
from __future__ import annotations

import json
import re
import sqlite3
from typing import TYPE_CHECKING, Any

from api_models.errors import (
    OpsMetadataAlreadyExistsException,
    OpsMetadataInvalidArgumentException,
    OpsMetadataKeyLimitExceededException,
    OpsMetadataLimitExceededException,
    OpsMetadataNotFoundException,
)
from api_models.ops_center import (
    CreateOpsMetadataRequest,
    CreateOpsMetadataResult,
    DeleteOpsMetadataRequest,
    DeleteOpsMetadataResult,
    GetOpsMetadataRequest,
    GetOpsMetadataResult,
    ListOpsMetadataRequest,
    ListOpsMetadataResult,
    MetadataValue,
    OpsMetadata,
    UpdateOpsMetadataRequest,
    UpdateOpsMetadataResult,
)
from emulator import paging
from emulator.clock import timestamp
from emulator.context import RequestContext
from emulator.ops_center.schema import COMPONENT, MIGRATIONS
from emulator.operations import operation
from emulator.tags import store as tag_store

if TYPE_CHECKING:
    from emulator.services import Services

RESOURCE_TYPE = "OpsMetadata"
MAX_KEYS = 5  # an object's metadata keys, as many as CreateOpsMetadata's Metadata takes
# per account and Region: "The maximum is 200 OpsMetadata objects." (the model, OpsMetadataLimitExceededException)
MAX_OBJECTS = 200
MAX_TAGS = 5  # "You can specify a maximum of five tags for an OpsMetadata object."
GET_MAX_RESULTS = 10
LIST_MAX_RESULTS = 50
FILTER_KEYS = ("ResourceId", "OpsMetadataArn")
RESOURCE_GROUP = re.compile(r"^arn:aws[a-zA-Z-]*:resource-groups:[^:]*:\d{12}:group/([^/]+)$")
STACK = re.compile(r"^arn:aws[a-zA-Z-]*:cloudformation:[^:]*:\d{12}:stack/([^/]+)(/.*)?$")
ARN_PATH = re.compile(r"^arn:aws[a-zA-Z-]*:ssm:[^:]*:[^:]*:opsmetadata/(.*)$")
NOT_FOUND = "OpsMetadata object {arn} doesn't exist."


def arn_path(resource_id: str) -> str:
    for pattern, form in ((RESOURCE_GROUP, "aws/ssm/{}/appmanager"), (STACK, "aws/cloudformation/{}/appmanager")):
        matched = pattern.match(resource_id)
        if matched:
            return form.format(matched.group(1))
    return re.sub(r"[^A-Za-z0-9\-_./]", "-", resource_id).lstrip("/")


def _values(metadata: dict[str, Any] | None) -> dict[str, str]:
    return {k: v.Value or "" for k, v in (metadata or {}).items()}


class OpsMetadataObjects:
    def __init__(self, services: Services) -> None:
        self.db = services.db
        self.clock = services.clock
        self.db.migrate(COMPONENT, MIGRATIONS)
        services.taggable.register(RESOURCE_TYPE, self._taggable_id, max_tags=MAX_TAGS)

    def _taggable_id(self, ctx: RequestContext, resource_id: str) -> str | None:
        path = resource_id.lstrip("/")
        with self.db.read() as conn:
            return path if self._row(conn, ctx, path) else None

    def _row(self, conn: sqlite3.Connection, ctx: RequestContext, path: str) -> sqlite3.Row | None:
        return conn.execute("SELECT * FROM oc_ops_metadata WHERE account = ? AND region = ? AND arn_path = ?",
                            (ctx.account_id, ctx.region, path)).fetchone()

    def _existing(self, conn: sqlite3.Connection, ctx: RequestContext, arn: str) -> sqlite3.Row:
        matched = ARN_PATH.match(arn)
        row = self._row(conn, ctx, matched.group(1)) if matched else None
        if row is None:
            raise OpsMetadataNotFoundException(NOT_FOUND.format(arn=arn))
        return row

    @operation("CreateOpsMetadata")
    def create_ops_metadata(self, ctx: RequestContext, req: CreateOpsMetadataRequest) -> CreateOpsMetadataResult:
        resource_id = req.ResourceId or ""
        path = arn_path(resource_id)
        if not path:
            raise OpsMetadataInvalidArgumentException(f"The ResourceId {resource_id} isn't valid.")
        if len(req.Tags or []) > MAX_TAGS:
            raise OpsMetadataInvalidArgumentException(f"An OpsMetadata object can have at most {MAX_TAGS} tags.")
        now = self.clock.time()
        with self.db.write() as conn:
            taken = conn.execute(
                "SELECT 1 FROM oc_ops_metadata WHERE account = ? AND region = ? AND (resource_id = ? OR arn_path = ?)",
                (ctx.account_id, ctx.region, resource_id, path)).fetchone()
            if taken:
                raise OpsMetadataAlreadyExistsException(
                    f"An OpsMetadata object already exists for the resource {resource_id}.")
            count = conn.execute("SELECT COUNT(*) FROM oc_ops_metadata WHERE account = ? AND region = ?",
                                 (ctx.account_id, ctx.region)).fetchone()[0]
            if count >= MAX_OBJECTS:
                raise OpsMetadataLimitExceededException(
                    f"The account has reached the maximum of {MAX_OBJECTS} OpsMetadata objects.")
            conn.execute(
                "INSERT INTO oc_ops_metadata (account, region, resource_id, arn_path, metadata, created_at,"
                " modified_at, modified_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (ctx.account_id, ctx.region, resource_id, path, json.dumps(_values(req.Metadata)), now, now,
                 ctx.caller.arn))
            if req.Tags:
                tag_store.put_tags(conn, ctx.account_id, ctx.region, RESOURCE_TYPE, path,
                                   [(t.Key, t.Value) for t in req.Tags])
        return CreateOpsMetadataResult.model_construct(OpsMetadataArn=ctx.arn(f"opsmetadata/{path}"))

    @operation("GetOpsMetadata")
    def get_ops_metadata(self, ctx: RequestContext, req: GetOpsMetadataRequest) -> GetOpsMetadataResult:
        with self.db.read() as conn:
            row = self._existing(conn, ctx, req.OpsMetadataArn or "")
        metadata = json.loads(row["metadata"])
        after = paging.decode("GetOpsMetadata", req.NextToken, str)
        keys = sorted(k for k in metadata if after is None or k > after)
        limit = req.MaxResults or GET_MAX_RESULTS
        shown, token = paging.page("GetOpsMetadata", keys[:limit + 1], limit, lambda k: k)
        return GetOpsMetadataResult.model_construct(
            ResourceId=row["resource_id"],
            Metadata={k: MetadataValue.model_construct(Value=metadata[k]) for k in shown} or None,
            NextToken=token)

    @operation("UpdateOpsMetadata")
    def update_ops_metadata(self, ctx: RequestContext, req: UpdateOpsMetadataRequest) -> UpdateOpsMetadataResult:
        if not req.MetadataToUpdate and not req.KeysToDelete:
            raise OpsMetadataInvalidArgumentException("Give MetadataToUpdate or KeysToDelete.")
        with self.db.write() as conn:
            row = self._existing(conn, ctx, req.OpsMetadataArn or "")
            metadata = json.loads(row["metadata"])
            missing = [k for k in req.KeysToDelete or [] if k not in metadata]
            if missing:
                raise OpsMetadataInvalidArgumentException(f"The keys {', '.join(missing)} don't exist.")
            for key in req.KeysToDelete or []:
                metadata.pop(key)
            metadata.update(_values(req.MetadataToUpdate))
            if len(metadata) > MAX_KEYS:
                raise OpsMetadataKeyLimitExceededException(
                    f"An OpsMetadata object can have at most {MAX_KEYS} metadata keys.")
            conn.execute(
                "UPDATE oc_ops_metadata SET metadata = ?, modified_at = ?, modified_by = ? WHERE account = ?"
                " AND region = ? AND resource_id = ?",
                (json.dumps(metadata), self.clock.time(), ctx.caller.arn, ctx.account_id, ctx.region,
                 row["resource_id"]))
        return UpdateOpsMetadataResult.model_construct(OpsMetadataArn=ctx.arn(f"opsmetadata/{row['arn_path']}"))

    @operation("DeleteOpsMetadata")
    def delete_ops_metadata(self, ctx: RequestContext, req: DeleteOpsMetadataRequest) -> DeleteOpsMetadataResult:
        with self.db.write() as conn:
            row = self._existing(conn, ctx, req.OpsMetadataArn or "")
            conn.execute("DELETE FROM oc_ops_metadata WHERE account = ? AND region = ? AND resource_id = ?",
                         (ctx.account_id, ctx.region, row["resource_id"]))
            tag_store.delete_resource(conn, ctx.account_id, ctx.region, RESOURCE_TYPE, row["arn_path"])
        return DeleteOpsMetadataResult.model_construct()

    @operation("ListOpsMetadata")
    def list_ops_metadata(self, ctx: RequestContext, req: ListOpsMetadataRequest) -> ListOpsMetadataResult:
        for f in req.Filters or []:
            if f.Key not in FILTER_KEYS:
                raise OpsMetadataInvalidArgumentException(
                    f"The filter key {f.Key} isn't valid: use {', '.join(FILTER_KEYS)}.")
        after = paging.decode("ListOpsMetadata", req.NextToken, str)
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT * FROM oc_ops_metadata WHERE account = ? AND region = ? AND resource_id > ?"
                " ORDER BY resource_id", (ctx.account_id, ctx.region, after or "")).fetchall()
        found = [r for r in rows if all(self._matches(ctx, r, f.Key, list(f.Values or [])) for f in req.Filters or [])]
        limit = req.MaxResults or LIST_MAX_RESULTS
        shown, token = paging.page("ListOpsMetadata", found[:limit + 1], limit, lambda r: r["resource_id"])
        return ListOpsMetadataResult.model_construct(OpsMetadataList=[OpsMetadata.model_construct(
            ResourceId=r["resource_id"], OpsMetadataArn=ctx.arn(f"opsmetadata/{r['arn_path']}"),
            LastModifiedDate=timestamp(r["modified_at"]), LastModifiedUser=r["modified_by"],
            CreationDate=timestamp(r["created_at"]),
        ) for r in shown] or None, NextToken=token)

    @staticmethod
    def _matches(ctx: RequestContext, row: sqlite3.Row, key: str, values: list[str]) -> bool:
        if key == "ResourceId":
            return row["resource_id"] in values
        return ctx.arn(f"opsmetadata/{row['arn_path']}") in values
