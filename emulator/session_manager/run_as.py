"""runAsEnabled / runAsDefaultUser: the checks the SSM Agent makes before it starts a shell as the document's
user, with its error texts (agent/session/shell/shell_unix.go, StartCommandExecutor and getUserCredentials).

The agent asks the machine (`id <user>`, then `id -u` and `id -g`) and fails the session when the user is
missing, and also for a user whose uid or gid is 0: runAsDefaultUser "root" does not work in AWS
(aws/amazon-ssm-agent#318, still so in the agent's code).
"""
from __future__ import annotations

from emulator.backends import BackendError, InstanceBackend

NO_DEFAULT_USER = "please set the RunAs default user"
NO_SUCH_USER = "failed to start pty since RunAs user {user} does not exist"
ROOT_REFUSED = "invalid uid and gid"
# One round trip: the uid and gid on two lines, or a non-zero exit when the user does not exist.
_LOOKUP = 'id -u -- "$1" && id -g -- "$1"'
LOOKUP_TIMEOUT_SECONDS = 15.0


def problem(backend: InstanceBackend, user: str | None) -> str | None:
    """Why a shell cannot start as `user` on the instance (the agent's words), or None when it can.

    `user` is None when runAs is off, "" when it is on without a default user."""
    if user is None:
        return None
    if not user.strip():
        return NO_DEFAULT_USER
    try:
        found = backend.run(["/bin/sh", "-c", _LOOKUP, "run-as", user], timeout=LOOKUP_TIMEOUT_SECONDS)
    except BackendError as error:
        return str(error)
    ids = found.stdout.split()
    if found.exit_code != 0 or len(ids) != 2 or not all(i.isdigit() for i in ids):
        return NO_SUCH_USER.format(user=user)
    if 0 in (int(ids[0]), int(ids[1])):
        return ROOT_REFUSED
    return None
