"""Service settings: account- and Region-level switches of SSM (GetServiceSetting, UpdateServiceSetting,
ResetServiceSetting), and Default Host Management Configuration, which is one of them.

catalogue.py lists the settings AWS defines (and the few the emulator adds, under /ssm-emulator/), with their
defaults and accepted values; handlers.py the operations and the in-process `value()` other capabilities read a
setting through; host_management.py RegisterDefaultHostManagementConfiguration and its Deregister twin.
"""
from emulator.service_settings.handlers import ServiceSettings
from emulator.service_settings.host_management import DefaultHostManagement

__all__ = ["DefaultHostManagement", "ServiceSettings"]
