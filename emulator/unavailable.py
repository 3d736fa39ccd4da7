"""The operations of botocore's SSM model that cannot exist offline: each with the AWS error it is answered
with and why. This is the one place an operation is declared unavailable; the app factory hands it to the
OperationTable, tests/test_coverage.py checks every operation of the model is implemented or listed here,
and tools/coverage_table.py shows the reasons in the README.

None is, now that just-in-time node access (StartAccessRequest, GetAccessToken) is emulated
(emulator/just_in_time_access). An operation that only partly depends on AWS is implemented by its capability,
which raises an Offline of its own for that part (ValidateCloudConnector: emulator/cloud_connectors).
"""
from __future__ import annotations

from emulator.operations import Offline

UNAVAILABLE: dict[str, Offline] = {}
