"""OpsCenter and Explorer: OpsItems (handlers.py; their related items in related.py), OpsMetadata
(metadata.py), GetOpsSummary (explorer.py), the OpsItems opened when operations fail (automatic.py) and those
change requests are (change_requests.py).

items.py and schema.py hold the tables; filters.py DescribeOpsItems' filters.
"""
from emulator.ops_center.automatic import OpsItemsFromOperations
from emulator.ops_center.change_requests import ChangeRequestOpsItems
from emulator.ops_center.explorer import Explorer
from emulator.ops_center.handlers import OpsCenter
from emulator.ops_center.metadata import OpsMetadataObjects
from emulator.ops_center.related import OpsItemRelatedItems

__all__ = ["ChangeRequestOpsItems", "Explorer", "OpsCenter", "OpsItemRelatedItems", "OpsItemsFromOperations",
           "OpsMetadataObjects"]
