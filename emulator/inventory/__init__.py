"""Inventory: what is on managed nodes, put by PutInventory or gathered from the nodes themselves by the
aws:softwareInventory plugin (AWS-GatherSoftwareInventory, through Run Command).

handlers.py holds the operations; items.py PutInventory's rules and storage; queries.py filters and
aggregators; aws_types.py the AWS: types' schemas; gathering.py the plugin's scripts; schema.py the tables.
"""
from emulator.inventory.handlers import Inventory

__all__ = ["Inventory"]
