"""Resource policies: policies attached to advanced-tier parameters (sharing them with other accounts) and to
the OpsItemGroup. handlers.py holds the operations; document.py the policy language (validation and
evaluation); store.py the table and the in-process API Parameter Store asks when another account reads a
parameter by ARN."""
from emulator.resource_policies.handlers import ResourcePolicies
from emulator.resource_policies.store import ResourcePolicyStore

__all__ = ["ResourcePolicies", "ResourcePolicyStore"]
