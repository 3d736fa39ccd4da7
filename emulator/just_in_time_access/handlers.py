"""Just-in-time node access's operations: StartAccessRequest and GetAccessToken; and the temporary keys they
lead to, which the identity layer asks for (temporary_key).

StartAccessRequest checks the node (one managed node of the caller's account and Region) and opens the access
request as an OpsItem of type /aws/accessrequest (access_requests.py), Pending, or Approved at once when the
account's auto-approval setting is on (/ssm-emulator/just-in-time/auto-approval, standing for an auto-approval
policy). An approver decides a Pending request with UpdateOpsItem, Status Approved or Rejected, and may revoke an
Approved one (Revoked): OpsCenter asks this capability about every status change of an access request
(status_changed), which refuses what an approver can't do and records who decided and, on approval, until when
access lasts (/ssm-emulator/just-in-time/access-duration-hours, 1 by default).

GetAccessToken answers the requester: the status, and while Approved fresh temporary credentials that act as the
requester until the access duration ends (ExpirationTime); after that the request reads Expired.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from api_models.errors import AccessDeniedException, ResourceNotFoundException, ValidationException
from api_models.session_manager import (
    Credentials,
    GetAccessTokenRequest,
    GetAccessTokenResponse,
    StartAccessRequestRequest,
    StartAccessRequestResponse,
)
from emulator.clock import timestamp
from emulator.context import RequestContext
from emulator.just_in_time_access import access_requests, credentials
from emulator.just_in_time_access.access_requests import APPROVED, REJECTED, REVOKED
from emulator.just_in_time_access.schema import COMPONENT, MIGRATIONS
from emulator.operations import operation
from emulator.ops_center.handlers import ACCESS_REQUEST, NewOpsItem
from emulator.ops_center.items import OpsItem
from emulator.protocol.identity import TemporaryKey
from emulator.service_settings.catalogue import JIT_ACCESS_DURATION, JIT_AUTO_APPROVAL

if TYPE_CHECKING:
    from emulator.managed_instances import ManagedInstances
    from emulator.ops_center import OpsCenter
    from emulator.service_settings import ServiceSettings
    from emulator.services import Services

SOURCE = "SSM"
ONE_NODE = ("StartAccessRequest asks for access to one node: Targets=[{\"Key\": \"InstanceIds\", "
            "\"Values\": [\"<node ID>\"]}].")
NO_NODE = "Node {node} isn't a managed node of account {account} in {region}."
NO_REQUEST = "Access request {id} doesn't exist."
NOT_YOURS = "Access request {id} was made by {requester}: only its requester gets its access token."


class JustInTimeAccess:
    def __init__(self, services: Services, *, ops_center: OpsCenter, instances: ManagedInstances,
                 settings: ServiceSettings) -> None:
        self.db = services.db
        self.clock = services.clock
        self.db.migrate(COMPONENT, MIGRATIONS)
        self.ops_center = ops_center
        self.instances = instances
        self.settings = settings
        ops_center.status_rules[ACCESS_REQUEST] = self.status_changed

    # --- for the identity layer -----------------------------------------------------------------------------
    def temporary_key(self, access_key_id: str) -> TemporaryKey | None:
        with self.db.read() as conn:
            return credentials.lookup(conn, access_key_id)

    # --- StartAccessRequest ---------------------------------------------------------------------------------
    @operation("StartAccessRequest")
    def start_access_request(self, ctx: RequestContext, req: StartAccessRequestRequest) -> StartAccessRequestResponse:
        targets = req.Targets or []
        if len(targets) != 1 or targets[0].Key != "InstanceIds" or len(targets[0].Values or []) != 1:
            raise ValidationException(ONE_NODE)
        node = (targets[0].Values or [""])[0]
        if self.instances.get(ctx, node) is None:
            raise ResourceNotFoundException(NO_NODE.format(node=node, account=ctx.account_id, region=ctx.region))
        doc = access_requests.new_document(ctx.caller.arn, ctx.caller.access_key, node, req.Reason or "",
                                           ctx.account_id, ctx.region)
        status = access_requests.PENDING
        if self.settings.enabled(ctx.account_id, ctx.region, JIT_AUTO_APPROVAL):
            doc = access_requests.approve(doc, None, None, self.clock.time(), self._hours(ctx.account_id, ctx.region))
            status = APPROVED
        access_request_id = self.ops_center.open_ops_item(ctx.account_id, ctx.region, ctx.caller.arn, NewOpsItem(
            title=f"Access request for {node}", description=req.Reason or "", source=SOURCE,
            ops_item_type=ACCESS_REQUEST, status=status, operational_data=access_requests.data(doc),
            tags=[(t.Key, t.Value) for t in req.Tags or []],
        ))
        return StartAccessRequestResponse.model_construct(AccessRequestId=access_request_id)

    def _hours(self, account: str, region: str) -> float:
        return float(self.settings.value(account, region, JIT_ACCESS_DURATION))

    # --- an approver's decision, through UpdateOpsItem ------------------------------------------------------
    def status_changed(self, conn: Any, item: OpsItem, status: str, by: str, now: float) -> dict[str, dict[str, str]]:
        """OpsCenter's StatusRule for /aws/accessrequest OpsItems: refuse what an approver can't do, and record the
        decision in the request's document (in UpdateOpsItem's transaction `conn`)."""
        if access_requests.read(item, now) is None:
            return {}  # an /aws/accessrequest OpsItem made with CreateOpsItem: not a request, no rules
        access_requests.check_transition(item, status)
        doc = access_requests.document(item)
        if status == APPROVED:
            doc = access_requests.approve(doc, by, None, now, self._hours(item.account, item.region))
        elif status == REJECTED:
            doc["rejecterArn"] = by
        elif status == REVOKED:
            doc["revokerArn"] = by
            credentials.revoke(conn, item.account, item.region, item.id)
        return access_requests.data(doc)

    # --- GetAccessToken -------------------------------------------------------------------------------------
    @operation("GetAccessToken")
    def get_access_token(self, ctx: RequestContext, req: GetAccessTokenRequest) -> GetAccessTokenResponse:
        access_request_id = req.AccessRequestId or ""
        now = self.clock.time()
        # One transaction: a revocation can't slip between reading the request and issuing its credentials.
        with self.db.write() as conn:
            item = self.ops_center.find(ctx.account_id, ctx.region, access_request_id)
            request = None if item is None else access_requests.read(item, now)
            if request is None:
                raise ResourceNotFoundException(NO_REQUEST.format(id=access_request_id))
            if request.requester_arn != ctx.caller.arn:
                raise AccessDeniedException(NOT_YOURS.format(id=request.id, requester=request.requester_arn))
            if request.status != APPROVED or request.expires_at is None:
                return GetAccessTokenResponse.model_construct(AccessRequestStatus=request.status)
            access_key_id, key = credentials.issue(conn, ctx.account_id, ctx.region, request.id, request.requester_arn,
                                                   request.expires_at)
        issued = Credentials.model_construct(
            AccessKeyId=access_key_id, SecretAccessKey=key.secret_access_key, SessionToken=key.session_token,
            ExpirationTime=timestamp(key.expires_at))
        return GetAccessTokenResponse.model_construct(AccessRequestStatus=APPROVED, Credentials=issued)

