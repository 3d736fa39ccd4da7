"""Parameter Store's ten operations, one method each, in the order of the API reference's story:
write (PutParameter), read (GetParameter, GetParameters, GetParametersByPath), list
(DescribeParameters, GetParameterHistory), label, delete. Policies' Expiration runs in the
background (expire_due)."""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from api_models.errors import (
    AccessDeniedException,
    HierarchyTypeMismatchException,
    ParameterAlreadyExists,
    ParameterMaxVersionLimitExceeded,
    ParameterNotFound,
    ParameterVersionLabelLimitExceeded,
    ParameterVersionNotFound,
    TooManyTagsError,
    TooManyUpdates,
    ValidationException,
)
from api_models.parameter_store import (
    DeleteParameterRequest,
    DeleteParametersRequest,
    DeleteParametersResult,
    DescribeParametersRequest,
    DescribeParametersResult,
    GetParameterHistoryRequest,
    GetParameterHistoryResult,
    GetParameterRequest,
    GetParameterResult,
    GetParametersByPathRequest,
    GetParametersByPathResult,
    GetParametersRequest,
    GetParametersResult,
    LabelParameterVersionRequest,
    LabelParameterVersionResult,
    Parameter,
    PutParameterRequest,
    PutParameterResult,
    UnlabelParameterVersionRequest,
    UnlabelParameterVersionResult,
)
from emulator import paging
from emulator.context import RequestContext
from emulator.kms import DEFAULT_KEY_ALIAS, KeyStore
from emulator.operations import operation
from emulator.parameter_store import filters, names, policies, render, storage, values
from emulator.parameter_store.names import NameRef
from emulator.parameter_store.public import PublicParameters
from emulator.parameter_store.schema import COMPONENT, MIGRATIONS
from emulator.tags import store as tag_store

if TYPE_CHECKING:
    from emulator.resource_policies import ResourcePolicyStore
    from emulator.services import Services

log = logging.getLogger("ssm_emulator.parameter_store")

SECURE = "SecureString"
RESOURCE_TYPE = "Parameter"
MAX_VERSIONS = 100
MAX_LABELS_PER_VERSION = 10
MAX_TAGS = 50
# DescribeParameters' page without MaxResults (cloudsploit#147: one call lists "only the first 10").
DESCRIBE_PAGE = 10
EXPIRY_SCAN_SECONDS = 1.0

EMPTY_VALUE = (
    "1 validation error detected: Value at 'value' failed to satisfy constraint: "
    "Member must have length greater than or equal to 1"
)
TAGS_WITH_OVERWRITE = (
    "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please "
    "remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or "
    "RemoveTagsFromResource."
)
ALREADY_EXISTS = "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."
TYPE_REQUIRED = "A parameter type is required when you create a parameter."
KEY_ID_NOT_SECURE = "KeyId is required for SecureString type parameter only."
DATA_TYPE_CHANGE = (
    "Parameter Store doesn't support changing the data type of an existing parameter. You must create a new, "
    "unique parameter."
)
CONCURRENT_UPDATE = "There are concurrent updates for a resource that supports one update at a time."
# sous-chefs/aws#419: GetParameter of /aws/reference/secretsmanager/... without WithDecryption.
SECRET_NEEDS_DECRYPTION = "WithDecryption flag must be True for retrieving a Secret Manager secret."
# GetParameter/DeleteParameter answer a missing parameter with an empty message.
NOT_FOUND = ""


def _version_not_found(version: int | str, name: str) -> ParameterVersionNotFound:
    return ParameterVersionNotFound(
        f"Systems Manager could not find version {version} of {name}. Verify the version and try again."
    )


def _reserved(name: str) -> AccessDeniedException:
    return AccessDeniedException(f"No access to reserved parameter name: {name.lstrip('/')}.")


class ParameterStore:
    def __init__(self, services: Services, shares: ResourcePolicyStore | None = None,
                 default_tier: Callable[[str, str], str] | None = None) -> None:
        """`shares`: the resource policies through which other accounts may read a parameter by its ARN (without
        it, only the owner reads its parameters). `default_tier(account, region)`: the tier a new parameter given
        none takes (the default-parameter-tier service setting; Standard without it)."""
        self.db = services.db
        self.shares = shares
        self.default_tier = default_tier
        self.clock = services.clock
        self.background = services.background
        self.db.migrate(COMPONENT, MIGRATIONS)
        tag_store.migrate(self.db)
        self.kms = KeyStore(self.db)
        self.public = PublicParameters()
        services.taggable.register(RESOURCE_TYPE, self._taggable_id)

    def start(self) -> None:
        self.background.every(EXPIRY_SCAN_SECONDS, self.expire_due, "parameter-expiry")

    def on_reset(self) -> None:
        self.kms.clear_cache()

    # --- the in-process API ----------------------------------------------------------------

    def read(self, ctx: RequestContext, name: str) -> Parameter | None:
        """A parameter as GetParameter answers it for `name` (a name, ARN, `name:version` or
        `name:label`), or None if the caller has none by that name. SecureString values stay
        encrypted: callers that resolve {{ssm:name}} references refuse them, as SSM does."""
        try:
            found = self.get_parameter(ctx, GetParameterRequest.model_construct(Name=name, WithDecryption=False))
        except (ParameterNotFound, ParameterVersionNotFound, ValidationException):
            return None
        return found.Parameter

    def sharing_facts(self, ctx: RequestContext, key: str) -> tuple[str, str, str | None] | None:
        """The name, tier and (for a SecureString) KMS key of the caller's parameter `key`, which is what a
        resource policy sharing it depends on; None when the caller has no such parameter."""
        if names.is_public(key):
            return None
        with self.db.read() as conn:
            row = storage.get(conn, ctx.account_id, ctx.region, key, self.clock.time())
        if row is None:
            return None
        return row["name"], row["tier"], row["key_id"] if row["type"] == SECURE else None

    def _as_owner(self, ctx: RequestContext, ref: NameRef, action: str) -> RequestContext:
        """A context acting in the account whose parameter `ref` names by ARN, when that account shared it with
        the caller for `action` through a resource policy; else ParameterNotFound, as for any parameter the
        caller can't see. Sharing takes the advanced tier, so a parameter in another tier is never shared."""
        if ref.owner is not None and self.shares is not None:
            arn = names.arn_prefix(ctx.region, ref.owner) + ref.key
            with self.db.read() as conn:
                row = storage.get(conn, ref.owner, ctx.region, ref.key, self.clock.time())
                if row is not None and row["tier"] == values.ADVANCED and self.shares.allows(
                    conn, ref.owner, ctx.region, arn, ctx.account_id, ctx.caller.arn, action,
                ):
                    return replace(ctx, caller=replace(ctx.caller, account_id=ref.owner))
        raise ParameterNotFound(NOT_FOUND)

    # --- helpers ---------------------------------------------------------------------------

    def _ref(self, ctx: RequestContext, given: str, selectors: bool = True) -> NameRef:
        return names.parse_ref(given, ctx.region, ctx.account_id, selectors=selectors)

    @staticmethod
    def _arn(ctx: RequestContext, key: str) -> str:
        return names.arn_prefix(ctx.region, ctx.account_id) + key

    @staticmethod
    def _public_arn(ctx: RequestContext, key: str) -> str:
        return names.arn_prefix(ctx.region, "") + key

    def _value(self, ctx: RequestContext, row: sqlite3.Row, key: str, decrypt: bool | None) -> str:
        """The Value to answer: SecureStrings stay ciphertext (base64) unless decryption is asked."""
        if decrypt and row["type"] == SECURE:
            return self.kms.decrypt(ctx.account_id, ctx.region, row["value"], self._arn(ctx, key))
        return row["value"]

    def _taggable_id(self, ctx: RequestContext, resource_id: str) -> str | None:
        try:
            ref = self._ref(ctx, resource_id, selectors=False)
        except ValidationException:
            return None
        if ref.foreign or names.is_public(ref.key):
            return None
        with self.db.read() as conn:
            row = storage.get(conn, ctx.account_id, ctx.region, ref.key, self.clock.time())
        return None if row is None else ref.key

    # --- write -----------------------------------------------------------------------------

    @operation("PutParameter")
    def put_parameter(self, ctx: RequestContext, req: PutParameterRequest) -> PutParameterResult:
        account, region = ctx.account_id, ctx.region
        name = names.name_for_put(req.Name, region, account)
        key = names.key_of(name)
        value = req.Value
        if not value:
            raise ValidationException(EMPTY_VALUE)
        overwrite = bool(req.Overwrite)
        tags: dict[str, str] = {t.Key: t.Value for t in req.Tags} if req.Tags else {}
        if tags and overwrite:
            raise ValidationException(TAGS_WITH_OVERWRITE)
        if len(tags) > MAX_TAGS:
            raise TooManyTagsError(f"The resource can't have more than {MAX_TAGS} tags.")
        new_policies = policies.parse(req.Policies) if req.Policies is not None else None
        if req.AllowedPattern:
            values.check_allowed_pattern(req.AllowedPattern, value)
        arn = self._arn(ctx, key)
        default_tier = self.default_tier(account, region) if self.default_tier and not req.Tier else values.STANDARD

        # SecureStrings are encrypted before the write transaction (a key's first use creates
        # it in a transaction of its own). Type and KeyId may come from the existing parameter;
        # the transaction checks they did not change in between.
        parameter_type, key_id = req.Type, req.KeyId
        if overwrite and (parameter_type is None or (parameter_type == SECURE and key_id is None)):
            with self.db.read() as conn:
                existing = storage.get(conn, account, region, key, self.clock.time())
            parameter_type = parameter_type or (existing["type"] if existing else None)
            if key_id is None and existing is not None and existing["type"] == SECURE:
                key_id = existing["key_id"]
        if key_id is not None and parameter_type is not None and parameter_type != SECURE:
            raise ValidationException(KEY_ID_NOT_SECURE)
        stored_value = value
        if parameter_type == SECURE:
            key_id = key_id or DEFAULT_KEY_ALIAS
            stored_value = self.kms.encrypt(account, region, key_id, value, arn)

        now = self.clock.time()
        with self.db.write() as conn:
            current = storage.get(conn, account, region, key, None)
            if current is not None and current["expires_at"] is not None and current["expires_at"] <= now:
                self._delete(conn, current, account, region)  # expired, not reaped yet: it is gone
                current = None
            if current is not None and not overwrite:
                raise ParameterAlreadyExists(ALREADY_EXISTS)
            if current is None and parameter_type is None:
                raise ValidationException(TYPE_REQUIRED)
            if req.Type is None and current is not None and current["type"] != parameter_type:
                raise TooManyUpdates(CONCURRENT_UPDATE)
            if (
                parameter_type == SECURE and req.KeyId is None and current is not None
                and current["type"] == SECURE and current["key_id"] != key_id
            ):
                raise TooManyUpdates(CONCURRENT_UPDATE)
            data_type = req.DataType or (current["data_type"] if current else "text")
            if (
                current is not None and req.DataType and req.DataType != current["data_type"]
                and values.FIXED_DATA_TYPES & {req.DataType, current["data_type"]}
            ):
                raise HierarchyTypeMismatchException(DATA_TYPE_CHANGE)
            description = req.Description if req.Description is not None else (current["description"] if current else None)
            allowed_pattern = (
                req.AllowedPattern if req.AllowedPattern is not None else (current["allowed_pattern"] if current else None)
            )
            if req.AllowedPattern is None:
                values.check_allowed_pattern(allowed_pattern, value)
            values.check_data_type(data_type, parameter_type, key, value, self.public.regions)
            if new_policies is not None:
                stored_policies, expires_at = new_policies.stored, new_policies.expires_at
            elif current is not None:
                stored_policies, expires_at = current["policies"], current["expires_at"]
            else:
                stored_policies, expires_at = None, None
            tier = values.resolve_tier(
                req.Tier,
                current["tier"] if current else None,
                value,
                stored_policies is not None,
                data_type,
                lambda t: storage.tier_count(conn, account, region, t),
                default_tier,
            )
            drop_oldest = False
            if current is not None and current["version"] - current["first_version"] + 1 >= MAX_VERSIONS:
                oldest = current["first_version"]
                if storage.labels_of(conn, current["id"], oldest):
                    raise ParameterMaxVersionLimitExceeded(
                        f"You attempted to create a new version of {name} by calling the PutParameter API with the "
                        f"overwrite flag. Version {oldest}, the oldest version, can't be deleted because it has a "
                        "label associated with it. Move the label to another version of the parameter, and try again."
                    )
                drop_oldest = True
            content = storage.Content(
                name=current["name"] if current else name,
                type=parameter_type,
                value=stored_value,
                last_modified=now,
                last_modified_user=ctx.caller.arn,
                tier=tier,
                data_type=data_type,
                key_id=key_id if parameter_type == SECURE else None,
                description=description,
                allowed_pattern=allowed_pattern,
                policies=stored_policies,
                expires_at=expires_at,
            )
            if current is None:
                storage.create(conn, account, region, key, names.parent_of(key), content)
                version = 1
            else:
                version = storage.add_version(conn, current, account, region, content, drop_oldest)
            if tags:
                tag_store.put_tags(conn, account, region, RESOURCE_TYPE, key, tags.items())
        return PutParameterResult.model_construct(Version=version, Tier=tier)

    # --- read ------------------------------------------------------------------------------

    @operation("GetParameter")
    def get_parameter(self, ctx: RequestContext, req: GetParameterRequest) -> GetParameterResult:
        ref = self._ref(ctx, req.Name)
        if names.is_public(ref.key):
            if ref.key.startswith(names.SECRETS_MANAGER_PREFIX) and not req.WithDecryption:
                raise ValidationException(SECRET_NEEDS_DECRYPTION)
            return GetParameterResult.model_construct(Parameter=self._public_parameter(ctx, ref))
        if ref.foreign:
            return self.get_parameter(self._as_owner(ctx, ref, "ssm:GetParameter"), req)
        with self.db.read() as conn:
            row = storage.get(conn, ctx.account_id, ctx.region, ref.key, self.clock.time())
            if row is None:
                raise ParameterNotFound(NOT_FOUND)
            selected = row
            if ref.version is not None or ref.label is not None:
                selected = self._selected_version(conn, row, ref)
        value = self._value(ctx, selected, ref.key, req.WithDecryption)
        return GetParameterResult.model_construct(
            Parameter=render.parameter(selected, row["name"], self._arn(ctx, ref.key), value, ref.selector)
        )

    def _selected_version(self, conn: sqlite3.Connection, row: sqlite3.Row, ref: NameRef) -> sqlite3.Row:
        if ref.version is not None:
            version = ref.version
        else:
            assert ref.label is not None
            found = storage.label_versions(conn, [(row["id"], ref.label)]).get((row["id"], ref.label))
            if found is None:
                raise ParameterNotFound(NOT_FOUND)
            version = found
        selected = storage.get_version(conn, row["id"], version)
        if selected is None:
            raise _version_not_found(version, ref.name)
        return selected

    def _public_parameter(self, ctx: RequestContext, ref: NameRef) -> Parameter:
        value = self.public.get(ref.key)
        if value is None or ref.label is not None or (ref.version is not None and ref.version != 1):
            if value is not None and ref.version is not None:
                raise _version_not_found(ref.version, ref.name)
            raise ParameterNotFound(NOT_FOUND)
        return render.public_parameter(ref.key, value, self._public_arn(ctx, ref.key), ref.selector)

    @operation("GetParameters")
    def get_parameters(self, ctx: RequestContext, req: GetParametersRequest) -> GetParametersResult:
        refs: list[NameRef] = []
        for given in dict.fromkeys(req.Names):  # each name once, in request order
            refs.append(self._ref(ctx, given))
        found: dict[str, Parameter] = {}
        stored = [r for r in refs if not names.is_public(r.key) and not r.foreign]
        with self.db.read() as conn:
            rows = storage.get_many(conn, ctx.account_id, ctx.region, [r.key for r in stored], self.clock.time())
            labelled = storage.label_versions(
                conn, [(rows[r.key]["id"], r.label) for r in stored if r.label is not None and r.key in rows]
            )
            wanted: dict[NameRef, tuple[int, int]] = {}
            for r in stored:
                row = rows.get(r.key)
                if row is None:
                    continue
                version = r.version if r.version is not None else labelled.get((row["id"], r.label)) if r.label else None
                if version is not None:
                    wanted[r] = (row["id"], version)
            versions = storage.get_versions(conn, list(set(wanted.values())))
        for r in refs:
            if names.is_public(r.key):
                value = self.public.get(r.key)
                if value is not None and r.label is None and r.version in (None, 1):
                    found[r.given] = render.public_parameter(r.key, value, self._public_arn(ctx, r.key), r.selector)
                continue
            if r.foreign:
                shared = self._shared_parameter(ctx, r, req.WithDecryption)
                if shared is not None:
                    found[r.given] = shared
                continue
            row = rows.get(r.key)
            if row is None:
                continue
            selected = row
            if r.version is not None or r.label is not None:
                selected = versions.get(wanted[r]) if r in wanted else None
                if selected is None:
                    continue
            value = self._value(ctx, selected, r.key, req.WithDecryption)
            found[r.given] = render.parameter(selected, row["name"], self._arn(ctx, r.key), value, r.selector)
        return GetParametersResult.model_construct(
            Parameters=list(found.values()),
            InvalidParameters=[r.given for r in refs if r.given not in found],
        )

    def _shared_parameter(self, ctx: RequestContext, ref: NameRef, decrypt: bool | None) -> Parameter | None:
        """GetParameters' answer for a parameter of another account named by ARN, or None (an invalid name)."""
        try:
            owner = self._as_owner(ctx, ref, "ssm:GetParameters")
            request = GetParameterRequest.model_construct(Name=ref.given, WithDecryption=decrypt)
            return self.get_parameter(owner, request).Parameter
        except (ParameterNotFound, ParameterVersionNotFound):
            return None

    @operation("GetParametersByPath")
    def get_parameters_by_path(self, ctx: RequestContext, req: GetParametersByPathRequest) -> GetParametersByPathResult:
        path = names.path_key(req.Path)
        recursive = bool(req.Recursive)
        plan = filters.by_path_plan(path, recursive, req.ParameterFilters)
        limit = req.MaxResults or 10
        after = paging.decode("GetParametersByPath", req.NextToken, str)
        if path == "/aws" or names.is_public(path + "/"):
            return self._public_by_path(ctx, path, recursive, req, limit, after)
        with self.db.read() as conn:
            rows = storage.list_parameters(
                conn, ctx.account_id, ctx.region, plan, after or "", limit + 1, self.clock.time()
            )
            more = len(rows) > limit
            rows = rows[:limit]
            labelled = {}
            if plan.labels is not None:
                labelled = storage.get_versions(
                    conn, [(r["id"], r["label_version"]) for r in rows if r["label_version"] != r["version"]]
                )
        out = []
        for row in rows:
            selected = labelled.get((row["id"], row["label_version"]), row) if plan.labels is not None else row
            value = self._value(ctx, selected, row["key"], req.WithDecryption)
            out.append(render.parameter(selected, row["name"], self._arn(ctx, row["key"]), value))
        token = paging.encode("GetParametersByPath", rows[-1]["key"]) if more else None
        return GetParametersByPathResult.model_construct(Parameters=out, NextToken=token)

    def _public_by_path(
        self, ctx: RequestContext, path: str, recursive: bool, req: GetParametersByPathRequest,
        limit: int, after: str | None,
    ) -> GetParametersByPathResult:
        for f in req.ParameterFilters or ():
            values_ = f.Values or []
            if f.Key != "Type" or not any(
                "String" == v if (f.Option or "Equals") == "Equals" else "String".startswith(v) for v in values_
            ):
                return GetParametersByPathResult.model_construct(Parameters=[])
        page: list[Parameter] = []
        last = None
        for key, value in self.public.below(path, recursive, after):
            if len(page) == limit:
                return GetParametersByPathResult.model_construct(
                    Parameters=page, NextToken=paging.encode("GetParametersByPath", last)
                )
            page.append(render.public_parameter(key, value, self._public_arn(ctx, key)))
            last = key
        return GetParametersByPathResult.model_construct(Parameters=page)

    # --- list ------------------------------------------------------------------------------

    @operation("DescribeParameters")
    def describe_parameters(self, ctx: RequestContext, req: DescribeParametersRequest) -> DescribeParametersResult:
        plan = filters.describe_plan(req.Filters, req.ParameterFilters)
        limit = req.MaxResults or DESCRIBE_PAGE
        after = paging.decode("DescribeParameters", req.NextToken, str)
        if req.Shared:
            # Parameters shared with this account through RAM: this emulator shares none.
            return DescribeParametersResult.model_construct(Parameters=[])
        now = self.clock.time()
        with self.db.read() as conn:
            rows = storage.list_parameters(conn, ctx.account_id, ctx.region, plan, after or "", limit + 1, now)
        more = len(rows) > limit
        rows = rows[:limit]
        return DescribeParametersResult.model_construct(
            Parameters=[render.metadata(row, self._arn(ctx, row["key"]), now) for row in rows],
            NextToken=paging.encode("DescribeParameters", rows[-1]["key"]) if more else None,
        )

    @operation("GetParameterHistory")
    def get_parameter_history(self, ctx: RequestContext, req: GetParameterHistoryRequest) -> GetParameterHistoryResult:
        ref = self._ref(ctx, req.Name, selectors=False)
        limit = req.MaxResults or 50
        after = paging.decode("GetParameterHistory", req.NextToken, int)
        if names.is_public(ref.key):
            value = self.public.get(ref.key)
            if value is None:
                raise ParameterNotFound(NOT_FOUND)
            return GetParameterHistoryResult.model_construct(
                Parameters=[] if after else [render.public_history(ref.key, value)]
            )
        if ref.foreign:
            return self.get_parameter_history(self._as_owner(ctx, ref, "ssm:GetParameterHistory"), req)
        now = self.clock.time()
        with self.db.read() as conn:
            row = storage.get(conn, ctx.account_id, ctx.region, ref.key, now)
            if row is None:
                raise ParameterNotFound(NOT_FOUND)
            versions = storage.history(conn, row["id"], after or 0, limit + 1)
            more = len(versions) > limit
            versions = versions[:limit]
            labels = (
                storage.labels_by_version(conn, row["id"], versions[0]["version"], versions[-1]["version"])
                if versions else {}
            )
        out = [
            render.history(v, self._value(ctx, v, ref.key, req.WithDecryption), labels.get(v["version"], []), now)
            for v in versions
        ]
        token = paging.encode("GetParameterHistory", versions[-1]["version"]) if more else None
        return GetParameterHistoryResult.model_construct(Parameters=out, NextToken=token)

    # --- labels ----------------------------------------------------------------------------

    def _labelled_version(self, conn: sqlite3.Connection, ctx: RequestContext, ref: NameRef, version: int | None):
        if names.is_public(ref.key):
            raise _reserved(ref.name)
        row = None if ref.foreign else storage.get(conn, ctx.account_id, ctx.region, ref.key, self.clock.time())
        if row is None:
            raise ParameterNotFound(NOT_FOUND)
        if version is None:
            version = row["version"]
        if not row["first_version"] <= version <= row["version"]:
            raise _version_not_found(version, ref.name)
        return row, version

    @operation("LabelParameterVersion")
    def label_parameter_version(
        self, ctx: RequestContext, req: LabelParameterVersionRequest
    ) -> LabelParameterVersionResult:
        ref = self._ref(ctx, req.Name, selectors=False)
        requested = list(dict.fromkeys(req.Labels))
        valid = [label for label in requested if names.valid_label(label)]
        invalid = [label for label in requested if not names.valid_label(label)]
        with self.db.write() as conn:
            row, version = self._labelled_version(conn, ctx, ref, req.ParameterVersion)
            on_version = set(storage.labels_of(conn, row["id"], version))
            if len(on_version | set(valid)) > MAX_LABELS_PER_VERSION:
                raise ParameterVersionLabelLimitExceeded(
                    "A parameter version can have maximum 10 labels.Move one or more labels to another version "
                    "and try again."
                )
            storage.move_labels(conn, row["id"], version, valid)
        return LabelParameterVersionResult.model_construct(InvalidLabels=invalid, ParameterVersion=version)

    @operation("UnlabelParameterVersion")
    def unlabel_parameter_version(
        self, ctx: RequestContext, req: UnlabelParameterVersionRequest
    ) -> UnlabelParameterVersionResult:
        ref = self._ref(ctx, req.Name, selectors=False)
        requested = list(dict.fromkeys(req.Labels))
        with self.db.write() as conn:
            row, version = self._labelled_version(conn, ctx, ref, req.ParameterVersion)
            on_version = set(storage.labels_of(conn, row["id"], version))
            removed = [label for label in requested if label in on_version]
            storage.remove_labels(conn, row["id"], removed)
        return UnlabelParameterVersionResult.model_construct(
            RemovedLabels=removed, InvalidLabels=[label for label in requested if label not in on_version]
        )

    # --- delete ----------------------------------------------------------------------------

    def _delete(self, conn: sqlite3.Connection, row: sqlite3.Row, account: str, region: str) -> None:
        storage.delete(conn, row["id"], account, region, row["tier"])
        tag_store.delete_resource(conn, account, region, RESOURCE_TYPE, row["key"])
        if self.shares is not None:  # a parameter's resource policies go with it
            self.shares.delete_all(conn, account, region, names.arn_prefix(region, account) + row["key"])

    @operation("DeleteParameter")
    def delete_parameter(self, ctx: RequestContext, req: DeleteParameterRequest) -> None:
        ref = self._ref(ctx, req.Name, selectors=False)
        if names.is_public(ref.key):
            raise _reserved(ref.name)
        with self.db.write() as conn:
            row = None if ref.foreign else storage.get(conn, ctx.account_id, ctx.region, ref.key, self.clock.time())
            if row is None:
                raise ParameterNotFound(NOT_FOUND)
            self._delete(conn, row, ctx.account_id, ctx.region)

    @operation("DeleteParameters")
    def delete_parameters(self, ctx: RequestContext, req: DeleteParametersRequest) -> DeleteParametersResult:
        refs: dict[str, NameRef | None] = {}
        for given in dict.fromkeys(req.Names):
            try:
                ref = self._ref(ctx, given, selectors=False)
            except ValidationException:
                ref = None
            refs[given] = None if ref is None or ref.foreign or names.is_public(ref.key) else ref
        deleted: list[str] = []
        with self.db.write() as conn:
            keys = [r.key for r in refs.values() if r is not None]
            rows = storage.get_many(conn, ctx.account_id, ctx.region, keys, self.clock.time())
            for given, ref in refs.items():
                row = rows.pop(ref.key, None) if ref is not None else None
                if row is not None:
                    self._delete(conn, row, ctx.account_id, ctx.region)
                    deleted.append(given)
        return DeleteParametersResult.model_construct(
            DeletedParameters=deleted, InvalidParameters=[g for g in refs if g not in deleted]
        )

    # --- policies --------------------------------------------------------------------------

    def expire_due(self) -> int:
        """Delete every parameter whose Expiration policy is due (a periodic background job)."""
        now = self.clock.time()
        with self.db.read() as conn:
            if not storage.due_for_expiry(conn, now, 1):
                return 0
        expired = 0
        with self.db.write() as conn:
            for row in storage.due_for_expiry(conn, now, 1000):
                self._delete(conn, row, row["account"], row["region"])
                expired += 1
        log.info("expired %d parameter(s)", expired)
        return expired
