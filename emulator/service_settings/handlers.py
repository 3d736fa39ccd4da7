"""GetServiceSetting, UpdateServiceSetting, ResetServiceSetting, and the in-process API:

    settings.value(account, region, "/ssm/parameter-store/default-parameter-tier")   # "Standard"
    settings.enabled(account, region, "/ssm-emulator/opsitem/automation-failed")    # False

A setting is Default until UpdateServiceSetting changes it (Customized), and again after ResetServiceSetting.
AWS applies updates asynchronously (Status PendingUpdate for a moment); here an update is in place when the call
returns, so PendingUpdate is never seen. A default setting reports LastModifiedUser "System" and the time the
emulator started, as it has no moment of its own.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from api_models.errors import ServiceSettingNotFound, ValidationException
from api_models.service_settings import (
    GetServiceSettingRequest,
    GetServiceSettingResult,
    ResetServiceSettingRequest,
    ResetServiceSettingResult,
    ServiceSetting,
    UpdateServiceSettingRequest,
    UpdateServiceSettingResult,
)
from emulator.clock import timestamp
from emulator.context import RequestContext
from emulator.operations import operation
from emulator.service_settings import store
from emulator.service_settings.catalogue import SETTINGS, SettingSpec, setting_id_of

if TYPE_CHECKING:
    from emulator.services import Services

SYSTEM = "System"
NOT_FOUND = "No setting was found for the specified ID {id}."
INVALID_VALUE = "The value {value} isn't valid for the setting {id}. Valid values: {expected}."


class ServiceSettings:
    def __init__(self, services: Services) -> None:
        self.db = services.db
        self.clock = services.clock
        self.started = self.clock.time()
        store.migrate(self.db)

    # --- the in-process API ---------------------------------------------------------------------------------
    def value(self, account: str, region: str, setting_id: str) -> str:
        """The setting's current value in the account and Region (its default unless customized)."""
        spec = SETTINGS[setting_id]
        with self.db.read() as conn:
            customized = store.get(conn, account, region, setting_id)
        return customized.value if customized else spec.default

    def enabled(self, account: str, region: str, setting_id: str) -> bool:
        return self.value(account, region, setting_id).lower() in ("true", "enabled")

    def put(self, ctx: RequestContext, setting_id: str, value: str) -> ServiceSetting:
        """Set a setting (checked as UpdateServiceSetting checks it); the setting after."""
        spec = _spec(setting_id)
        if not spec.accepts(value):
            raise ValidationException(INVALID_VALUE.format(value=value, id=setting_id, expected=spec.expected()))
        with self.db.write() as conn:
            store.put(conn, ctx.account_id, ctx.region, setting_id,
                      store.Customized(value, self.clock.time(), ctx.caller.arn))
        return self._setting(ctx, spec)

    def reset(self, ctx: RequestContext, setting_id: str) -> ServiceSetting:
        spec = _spec(setting_id)
        with self.db.write() as conn:
            store.delete(conn, ctx.account_id, ctx.region, setting_id)
        return self._setting(ctx, spec)

    def get(self, ctx: RequestContext, setting_id: str) -> ServiceSetting:
        return self._setting(ctx, _spec(setting_id))

    def _setting(self, ctx: RequestContext, spec: SettingSpec) -> ServiceSetting:
        with self.db.read() as conn:
            customized = store.get(conn, ctx.account_id, ctx.region, spec.setting_id)
        return ServiceSetting.model_construct(
            SettingId=spec.setting_id,
            SettingValue=customized.value if customized else spec.default,
            LastModifiedDate=timestamp(customized.modified_at if customized else self.started),
            LastModifiedUser=customized.modified_by if customized else SYSTEM,
            ARN=ctx.arn(f"servicesetting{spec.setting_id}"),
            Status="Customized" if customized else "Default",
        )

    # --- operations -----------------------------------------------------------------------------------------
    @operation("GetServiceSetting")
    def get_service_setting(self, ctx: RequestContext, req: GetServiceSettingRequest) -> GetServiceSettingResult:
        return GetServiceSettingResult.model_construct(ServiceSetting=self.get(ctx, setting_id_of(req.SettingId)))

    @operation("UpdateServiceSetting")
    def update_service_setting(
        self, ctx: RequestContext, req: UpdateServiceSettingRequest
    ) -> UpdateServiceSettingResult:
        self.put(ctx, setting_id_of(req.SettingId), req.SettingValue)
        return UpdateServiceSettingResult.model_construct()

    @operation("ResetServiceSetting")
    def reset_service_setting(
        self, ctx: RequestContext, req: ResetServiceSettingRequest
    ) -> ResetServiceSettingResult:
        return ResetServiceSettingResult.model_construct(ServiceSetting=self.reset(ctx, setting_id_of(req.SettingId)))


def _spec(setting_id: str) -> SettingSpec:
    spec = SETTINGS.get(setting_id)
    if spec is None:
        raise ServiceSettingNotFound(NOT_FOUND.format(id=setting_id))
    return spec
