"""Cloud connectors: records connecting Systems Manager to an Azure tenant or a GCP organization (multicloud).
handlers.py holds the six operations, store.py the table."""
from emulator.cloud_connectors.handlers import CloudConnectors

__all__ = ["CloudConnectors"]
