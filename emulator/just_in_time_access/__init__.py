"""Just-in-time node access (Session Manager's): StartAccessRequest and GetAccessToken (handlers.py); access
requests are OpsItems of type /aws/accessrequest (access_requests.py) that approvers decide with UpdateOpsItem;
approved requests get temporary credentials (credentials.py, table in schema.py) the identity layer honours.
"""
from emulator.just_in_time_access.handlers import JustInTimeAccess

__all__ = ["JustInTimeAccess"]
