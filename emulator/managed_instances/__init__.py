"""Managed instances and hybrid activations: the machines SSM manages, here real Docker containers and SSH hosts.

registry.py is the registry and the in-process API other capabilities use (ManagedInstances.get / select /
backend); handlers.py the SSM operations on managed nodes; activations.py hybrid activations; spec.py how a
machine is described when it is registered (admin API, CLI, config file); docker_engine.py the Docker engine
(container start, discovery of labelled containers); machines.py instances as machines, for Automation (stop,
start, terminate; images with AMI-style IDs); filters.py and render.py listing filters and responses;
storage.py and schema.py the tables; admin.py the /_emulator/instances API; cli.py `ssm-emulator instances`.
"""
from emulator.managed_instances.activations import HybridActivations
from emulator.managed_instances.handlers import FleetManager
from emulator.managed_instances.model import ManagedInstance
from emulator.managed_instances.registry import ManagedInstances

__all__ = ["FleetManager", "HybridActivations", "ManagedInstance", "ManagedInstances"]
