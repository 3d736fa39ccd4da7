"""The application factory: builds the store, the capabilities and the protocol, and wires them."""
from __future__ import annotations

import atexit
import logging
from collections.abc import Callable
from flask import Flask

import api_models

from emulator.admin import admin_blueprint
from emulator.background import Background
from emulator.clock import Clock
from emulator.config import Config
from emulator.console import console_blueprint
from emulator.operations import OperationTable
from emulator.protocol.identity import IdentityResolver, TemporaryKey
from emulator.protocol.json11 import JsonProtocol
from emulator.services import Services
from emulator.store import Database
from emulator.websocket import install_test_echo

log = logging.getLogger("ssm_emulator")


def build_capabilities(services: Services, operations: OperationTable) -> list[object]:
    """Every capability, built in dependency order and wired explicitly: a capability that uses
    another receives it in its constructor (Run Command and Session Manager get Documents and ManagedInstances,
    Run Command the plugins Inventory, Patch Manager and State Manager run; OpsCenter Automation (and listens to Automation,
    State Manager, Run Command and Change Manager through their Listeners);
    Automation's actions get what they call through AutomationServices, aws:executeAwsApi any operation of
    `operations`, which the app factory fills with every capability's)."""
    from emulator.automation import Automation
    from emulator.automation.actions import AutomationServices
    from emulator.change_calendar import ChangeCalendars
    from emulator.change_manager import ChangeManager
    from emulator.cloud_connectors import CloudConnectors
    from emulator.compliance import Compliance
    from emulator.documents import Documents
    from emulator.inventory import Inventory
    from emulator.just_in_time_access import JustInTimeAccess
    from emulator.maintenance_windows import MaintenanceWindowHistory, MaintenanceWindows, WindowRunner
    from emulator.ops_center import (
        ChangeRequestOpsItems,
        Explorer,
        OpsCenter,
        OpsItemRelatedItems,
        OpsItemsFromOperations,
        OpsMetadataObjects,
    )
    from emulator.managed_instances import FleetManager, HybridActivations, ManagedInstances
    from emulator.parameter_store import ParameterStore
    from emulator.patch_manager import PatchManager
    from emulator.resource_data_sync import ResourceDataSyncs
    from emulator.resource_data_sync.export import write_inventory
    from emulator.resource_policies import ResourcePolicies, ResourcePolicyStore
    from emulator.run_command import RunCommand
    from emulator.service_settings import DefaultHostManagement, ServiceSettings
    from emulator.service_settings.catalogue import DEFAULT_PARAMETER_TIER
    from emulator.session_manager import SessionManager
    from emulator.state_manager import StateManager
    from emulator.tags import Tags

    service_settings = ServiceSettings(services)
    # Resource policies share advanced-tier parameters: Parameter Store asks them when another account reads one.
    resource_policy_store = ResourcePolicyStore(services.db)
    parameter_store = ParameterStore(services, shares=resource_policy_store, default_tier=lambda account, region:
                                     service_settings.value(account, region, DEFAULT_PARAMETER_TIER))
    resource_policies = ResourcePolicies(services, resource_policy_store, parameters=parameter_store)
    documents = Documents(services)
    tags = Tags(services)
    managed_instances = ManagedInstances(services)
    fleet_manager = FleetManager(services, managed_instances)
    hybrid_activations = HybridActivations(services)
    inventory = Inventory(services, instances=managed_instances)
    compliance = Compliance(services, instances=managed_instances)
    # Patch Manager reports each patch operation to Compliance (ComplianceType Patch).
    patch_manager = PatchManager(services, instances=managed_instances, compliance=compliance)
    run_command = RunCommand(
        services, documents=documents, instances=managed_instances, parameters=parameter_store,
        plugins={**inventory.plugins(), **patch_manager.plugins()},
    )
    session_manager = SessionManager(services, documents=documents, instances=managed_instances)
    change_calendars = ChangeCalendars(services, documents=documents)
    automation = Automation(
        services, documents=documents, instances=managed_instances,
        actions=AutomationServices(
            config=services.config, clock=services.clock, documents=documents, instances=managed_instances,
            run_command=run_command, operations=operations,
        ),
    )
    change_manager = ChangeManager(services, automation=automation, calendars=change_calendars)
    resource_data_syncs = ResourceDataSyncs(services, compliance=compliance)
    resource_data_syncs.add_writer(lambda folder, account, region, now: write_inventory(
        folder, account, region, inventory.export(account, region), now))
    # State Manager reports each association run to Compliance (SyncCompliance AUTO).
    state_manager = StateManager(
        services, documents=documents, instances=managed_instances, run_command=run_command, automation=automation,
        calendars=change_calendars, compliance=compliance,
    )
    # An instance applies its associations now when told to (aws:refreshAssociation, AWS-RefreshAssociation).
    run_command.use_plugins(state_manager.plugins())
    # Maintenance windows run their tasks through Run Command and the Automation engine.
    maintenance_windows = MaintenanceWindows(services, instances=managed_instances, runner=WindowRunner(
        services, instances=managed_instances, run_command=run_command, automation=automation))
    # OpsCenter opens OpsItems for failed executions, association runs and commands when the service settings
    # say so (automatic.py).
    ops_center = OpsCenter(services, automation=automation)
    from_operations = OpsItemsFromOperations(ops_center, service_settings)
    automation.ended.add(from_operations.automation_ended)
    state_manager.failed_runs.add(from_operations.association_failed)
    run_command.ended.add(from_operations.command_ended)
    # Every change request is an /aws/changerequest OpsItem that follows it: Change Manager reports, OpsCenter keeps.
    change_manager.changed.add(ChangeRequestOpsItems(ops_center).changed)
    explorer = Explorer(services, inventory=inventory, sync_exists=resource_data_syncs.exists)
    # Just-in-time access keeps its access requests as OpsItems and decides their status changes (UpdateOpsItem).
    just_in_time_access = JustInTimeAccess(services, ops_center=ops_center, instances=managed_instances,
                                           settings=service_settings)
    return [
        service_settings, DefaultHostManagement(service_settings), parameter_store, documents, tags,
        managed_instances, fleet_manager, hybrid_activations, inventory, run_command, session_manager,
        change_calendars, automation, change_manager, compliance, resource_data_syncs, state_manager, patch_manager,
        maintenance_windows, MaintenanceWindowHistory(maintenance_windows), ops_center, OpsItemRelatedItems(ops_center),
        OpsMetadataObjects(services), explorer, resource_policies, CloudConnectors(services), just_in_time_access,
    ]


def build_operations(services: Services) -> tuple[OperationTable, list[object]]:
    """The capabilities and the table answering every operation they implement, and those unavailable
    offline (emulator/unavailable.py). Nothing is started: tools read the table of a throwaway build."""
    from emulator.unavailable import UNAVAILABLE

    operations = OperationTable()
    capabilities = build_capabilities(services, operations)
    for capability in capabilities:
        operations.add(capability)
    operations.add_unavailable(UNAVAILABLE)
    return operations, capabilities


def _temporary_keys(capabilities: list[object]) -> Callable[[str], TemporaryKey | None]:
    """Where the identity layer finds the temporary keys the emulator issued (GetAccessToken's)."""
    from emulator.just_in_time_access import JustInTimeAccess

    return next(c for c in capabilities if isinstance(c, JustInTimeAccess)).temporary_key


STOP_EXTENSION = "ssm_emulator.stop"  # the server calls app.extensions[STOP_EXTENSION]() when it stops
# An in-process server (emulator.in_process) calls app.extensions[CLOSE_EXTENSION]() once it serves no more:
# it ends every thread the app started and releases what it holds, as a process exit would.
CLOSE_EXTENSION = "ssm_emulator.close"
STOP_SECONDS = 3.0


def create_app(config: Config) -> Flask:
    data_dir = config.resolved_data_dir
    services = Services(
        config=config,
        db=Database(data_dir, durability=config.durability),
        clock=Clock(),
        background=Background(),
    )
    operations, capabilities = build_operations(services)

    identity = IdentityResolver(
        default_account_id=config.default_account_id,
        access_key_accounts={k.access_key_id: k.account_id for k in config.access_keys},
        secret_keys={
            k.access_key_id: k.secret_access_key for k in config.access_keys if k.secret_access_key
        },
        verify_signatures=config.verify_signatures,
        temporary_keys=_temporary_keys(capabilities),
    )

    def reset() -> None:
        services.db.reset()
        for capability in capabilities:
            on_reset = getattr(capability, "on_reset", None)
            if on_reset is not None:
                on_reset()

    def health_facts() -> dict[str, object]:
        components: dict[str, str] = {type(c).__name__: "running" for c in capabilities}
        for capability in capabilities:
            health = getattr(capability, "health", None)  # components a capability depends on (docker)
            if health is not None:
                components.update(health())
        return {
            "data_dir": str(data_dir) if data_dir else None,
            "ephemeral": data_dir is None,
            "components": components,
            "operations": {
                "implemented": sorted(operations.implemented()),
                "unavailable": {name: o.reason for name, o in sorted(operations.unavailable().items())},
                "not_implemented": sorted(set(api_models.OPERATIONS) - operations.names()),
            },
        }

    app = Flask("ssm_emulator")
    app.wsgi_app = JsonProtocol(operations, identity).wrap(app.wsgi_app)  # type: ignore[method-assign]
    app.register_blueprint(admin_blueprint(health_facts, reset))
    app.register_blueprint(console_blueprint(config))
    for capability in capabilities:
        blueprint = getattr(capability, "blueprint", None)  # a capability's own admin API
        if blueprint is not None:
            app.register_blueprint(blueprint())
    app.extensions["ssm_emulator"] = services
    install_test_echo(app)  # only when SSM_EMULATOR_TEST_ECHO_WEBSOCKET=1

    for capability in capabilities:
        start = getattr(capability, "start", None)
        if start is not None:
            start()
    atexit.register(services.background.stop, wait=False)

    def stop(timeout: float = STOP_SECONDS) -> None:
        """The server is stopping: capabilities end what clients hold open (Session Manager's channels)."""
        for capability in capabilities:
            capability_stop = getattr(capability, "stop", None)
            if capability_stop is not None:
                capability_stop(timeout)

    app.extensions[STOP_EXTENSION] = stop

    def close(timeout: float = STOP_SECONDS) -> None:
        """The app is done with: stop it, then its background threads (before what they use), then each
        capability's resources (containers an ephemeral emulator started, backends), then the store."""
        stop(timeout)
        services.background.stop()
        atexit.unregister(services.background.stop)
        for capability in capabilities:
            capability_close = getattr(capability, "close", None)
            if capability_close is not None:
                capability_close()
        services.db.close()

    app.extensions[CLOSE_EXTENSION] = close
    return app
