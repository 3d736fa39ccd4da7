"""Resource data sync: syncs stored and listed as AWS shows them; SyncToDestination syncs write their data as
JSON files into a local folder standing in for the S3 bucket."""
from emulator.resource_data_sync.handlers import ResourceDataSyncs

__all__ = ["ResourceDataSyncs"]
