"""The operations of botocore's SSM model that cannot exist offline: each with the AWS error it is answered
with and why. This is the one place an operation is declared unavailable; the app factory hands it to the
OperationTable, tests/test_coverage.py checks every operation of the model is implemented or listed here,
and tools/coverage_table.py shows the reasons in the README.

An operation that only partly depends on AWS is implemented by its capability, which raises an Offline of
its own for that part (ValidateCloudConnector: emulator/cloud_connectors).
"""
from __future__ import annotations

from api_models.errors import AccessDeniedException
from emulator.operations import Offline

# Just-in-time node access (Session Manager). AccessDeniedException is what both operations declare for a
# caller that may not use just-in-time access, which is what every caller of this emulator is.
JUST_IN_TIME = Offline(
    AccessDeniedException,
    "just-in-time node access is enabled for an AWS Organization in the Systems Manager unified console, its "
    "access requests are judged by Cedar approval policies against IAM Identity Center identities and kept as "
    "OpsItems, and the credentials GetAccessToken hands out are issued by AWS STS; none of these exist offline. "
    "Start sessions with StartSession instead (Standard access).",
)

UNAVAILABLE: dict[str, Offline] = {
    "StartAccessRequest": JUST_IN_TIME,
    "GetAccessToken": JUST_IN_TIME,
}
