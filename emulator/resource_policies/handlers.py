"""PutResourcePolicy, GetResourcePolicies, DeleteResourcePolicy: resource policies on advanced-tier parameters
(sharing them with other accounts, who then read them by ARN) and on the OpsItemGroup
(arn:aws:ssm:<region>:<account>:opsitemgroup/default).

    ssm.put_resource_policy(ResourceArn=parameter_arn, Policy=json.dumps({...}))  # -> PolicyId, PolicyHash
    ssm.put_resource_policy(ResourceArn=..., Policy=..., PolicyId=id, PolicyHash=hash)  # update that policy
    ssm.delete_resource_policy(ResourceArn=..., PolicyId=id, PolicyHash=hash)

A policy's hash is the SHA-256 of its text: an update or delete naming a hash other than the current one was
made against a version someone else has replaced since, and is refused (ResourcePolicyConflictException).
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from api_models.errors import (
    ResourceNotFoundException,
    ResourcePolicyConflictException,
    ResourcePolicyInvalidParameterException,
    ResourcePolicyLimitExceededException,
    ResourcePolicyNotFoundException,
)
from api_models.resource_policies import (
    DeleteResourcePolicyRequest,
    GetResourcePoliciesRequest,
    GetResourcePoliciesResponse,
    GetResourcePoliciesResponseEntry,
    PutResourcePolicyRequest,
    PutResourcePolicyResponse,
)
from emulator import paging
from emulator.context import RequestContext
from emulator.kms import DEFAULT_KEY_ALIAS
from emulator.operations import operation
from emulator.parameter_store import names as parameter_names
from emulator.resource_policies import document, store
from emulator.resource_policies.store import Policy, ResourcePolicyStore

if TYPE_CHECKING:
    from emulator.parameter_store import ParameterStore
    from emulator.services import Services

PARAMETER, OPS_ITEM_GROUP = "Parameter", "OpsItemGroup"
OPS_ITEM_GROUP_NAME = "opsitemgroup/default"
# ResourcePolicyLimitExceededException: "A policy can't be greater than 1024 bytes in size. And only one policy
# can be attached to OpsItemGroup." AWS documents no count limit for a parameter's policies.
MAX_POLICY_BYTES = 1024
MAX_OPS_ITEM_GROUP_POLICIES = 1
MAX_RESULTS = 50
LISTING = "GetResourcePolicies"

UNSUPPORTED_RESOURCE = (
    "The resource {arn} can't have a resource policy. ssm-emulator keeps resource policies for parameters "
    "(arn:aws:ssm:<region>:<account>:parameter/<name>) and the OpsItemGroup "
    "(arn:aws:ssm:<region>:<account>:opsitemgroup/default); documents are shared with ModifyDocumentPermission."
)
PARAMETER_NOT_FOUND = "The parameter {arn} could not be found in this account and Region."
STANDARD_TIER = (
    "Only advanced-tier parameters can be shared. Change {name} to the advanced tier (PutParameter with "
    "Tier Advanced and Overwrite) and try again."
)
AWS_MANAGED_KEY = (
    "A SecureString parameter can be shared only when it is encrypted with a customer managed key; {name} is "
    f"encrypted with the AWS managed key {DEFAULT_KEY_ALIAS}."
)
ID_WITHOUT_HASH = "PolicyId and PolicyHash go together: give both to update a policy, neither to add one."
POLICY_NOT_FOUND = "No policy with the ID {policy_id} is attached to {arn}."
HASH_MISMATCH = (
    "The PolicyHash {given} isn't the hash of the policy's current version. Get the policy again "
    "(GetResourcePolicies) and retry with its PolicyHash."
)
TOO_LARGE = f"The policy is larger than {MAX_POLICY_BYTES} bytes."
TOO_MANY = "Only one policy can be attached to the OpsItemGroup; update it (PolicyId and PolicyHash) instead."


def policy_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _invalid(message: str, *members: str) -> ResourcePolicyInvalidParameterException:
    return ResourcePolicyInvalidParameterException(message, ParameterNames=list(members))


@dataclass(frozen=True)
class Resource:
    kind: str
    arn: str  # as stored: the canonical ARN in the caller's partition, region and account


class ResourcePolicies:
    """The three resource policy operations; which resources exist is asked of their capabilities."""

    def __init__(self, services: Services, store_: ResourcePolicyStore, parameters: ParameterStore) -> None:
        self.db = services.db
        self.clock = services.clock
        self.store = store_
        self.parameters = parameters

    def _resource(self, ctx: RequestContext, arn: str, *, sharing: bool) -> Resource:
        """The resource `arn` names, if the caller owns one that can have policies; `sharing`: it is about to get
        one, so what sharing requires (a parameter's tier and key) is checked too."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "ssm":
            raise _invalid(UNSUPPORTED_RESOURCE.format(arn=arn), "ResourceArn")
        region, account, resource = parts[3], parts[4], parts[5]
        prefix = parameter_names.arn_prefix(ctx.region, ctx.account_id)
        if resource == OPS_ITEM_GROUP_NAME:
            if (region, account) != (ctx.region, ctx.account_id):
                raise ResourceNotFoundException(f"The OpsItemGroup {arn} could not be found in this account and Region.")
            return Resource(OPS_ITEM_GROUP, prefix.rsplit(":", 1)[0] + ":" + OPS_ITEM_GROUP_NAME)
        if not resource.startswith("parameter/"):
            raise _invalid(UNSUPPORTED_RESOURCE.format(arn=arn), "ResourceArn")
        key = resource[len("parameter"):]
        found = None
        if (region, account) == (ctx.region, ctx.account_id):
            found = self.parameters.sharing_facts(ctx, key)
        if found is None:
            raise ResourceNotFoundException(PARAMETER_NOT_FOUND.format(arn=arn))
        name, tier, key_id = found
        if sharing and tier != "Advanced":
            raise _invalid(STANDARD_TIER.format(name=name), "ResourceArn")
        if sharing and key_id == DEFAULT_KEY_ALIAS:
            raise _invalid(AWS_MANAGED_KEY.format(name=name), "ResourceArn")
        return Resource(PARAMETER, prefix + key)

    @staticmethod
    def _current(found: Policy | None, req_id: str, req_hash: str, arn: str) -> Policy:
        if found is None:
            raise ResourcePolicyNotFoundException(POLICY_NOT_FOUND.format(policy_id=req_id, arn=arn))
        if found.policy_hash != req_hash:
            raise ResourcePolicyConflictException(HASH_MISMATCH.format(given=req_hash))
        return found

    @operation("PutResourcePolicy")
    def put_resource_policy(self, ctx: RequestContext, req: PutResourcePolicyRequest) -> PutResourcePolicyResponse:
        resource = self._resource(ctx, req.ResourceArn, sharing=True)
        if len(req.Policy.encode()) > MAX_POLICY_BYTES:
            raise ResourcePolicyLimitExceededException(TOO_LARGE, Limit=MAX_POLICY_BYTES, LimitType="PolicySize")
        document.parse(req.Policy)
        if (req.PolicyId is None) != (req.PolicyHash is None):
            raise _invalid(ID_WITHOUT_HASH, "PolicyHash" if req.PolicyHash is None else "PolicyId")
        account, region = ctx.account_id, ctx.region
        with self.db.write() as conn:
            if req.PolicyId is not None:
                assert req.PolicyHash is not None
                found = store.get(conn, account, region, resource.arn, req.PolicyId)
                current = self._current(found, req.PolicyId, req.PolicyHash, req.ResourceArn)
                policy = Policy(current.policy_id, policy_hash(req.Policy), req.Policy, current.created)
            else:
                if (resource.kind == OPS_ITEM_GROUP
                        and len(store.policies(conn, account, region, resource.arn)) >= MAX_OPS_ITEM_GROUP_POLICIES):
                    raise ResourcePolicyLimitExceededException(
                        TOO_MANY, Limit=MAX_OPS_ITEM_GROUP_POLICIES, LimitType="PolicyCount")
                policy = Policy(str(uuid.uuid4()), policy_hash(req.Policy), req.Policy, self.clock.time())
            store.put(conn, account, region, resource.arn, policy)
        return PutResourcePolicyResponse.model_construct(PolicyId=policy.policy_id, PolicyHash=policy.policy_hash)

    @operation("GetResourcePolicies")
    def get_resource_policies(
        self, ctx: RequestContext, req: GetResourcePoliciesRequest,
    ) -> GetResourcePoliciesResponse:
        resource = self._resource(ctx, req.ResourceArn, sharing=False)
        after = paging.decode_time_and_id(LISTING, req.NextToken)
        limit = req.MaxResults or MAX_RESULTS
        with self.db.read() as conn:
            rows = store.page(conn, ctx.account_id, ctx.region, resource.arn, after, limit + 1)
        shown, token = paging.page(LISTING, rows, limit, lambda p: [p.created, p.policy_id])
        return GetResourcePoliciesResponse.model_construct(
            Policies=[
                GetResourcePoliciesResponseEntry.model_construct(
                    PolicyId=p.policy_id, PolicyHash=p.policy_hash, Policy=p.policy)
                for p in shown
            ],
            NextToken=token,
        )

    @operation("DeleteResourcePolicy")
    def delete_resource_policy(self, ctx: RequestContext, req: DeleteResourcePolicyRequest) -> None:
        # DeletionMode applies to documents only ("The operation ignores this parameter for other resource types").
        resource = self._resource(ctx, req.ResourceArn, sharing=False)
        with self.db.write() as conn:
            found = store.get(conn, ctx.account_id, ctx.region, resource.arn, req.PolicyId)
            self._current(found, req.PolicyId, req.PolicyHash, req.ResourceArn)
            store.delete(conn, ctx.account_id, ctx.region, resource.arn, req.PolicyId)
