"""State Manager's report to Compliance when an association run ends (SyncCompliance AUTO): the runner is given a
stand-in for the Compliance capability's in-process API and Run Command answers as it would, in-process, so what
is reported for each instance can be read back exactly."""
from __future__ import annotations

import json
from types import SimpleNamespace

from emulator.background import Background
from emulator.clock import Clock
from emulator.config import Config
from emulator.services import Services
from emulator.state_manager import storage
from emulator.state_manager.executions import AssociationRunner
from emulator.state_manager.schema import COMPONENT, MIGRATIONS
from emulator.store import Database

ACCOUNT, REGION = "123456789012", "us-east-1"
ONLINE = ("mi-00000000000000001", "mi-00000000000000002")


class RecordingCompliance:
    def __init__(self) -> None:
        self.reports: list[dict] = []

    def put_association_compliance(self, **report) -> None:
        self.reports.append(report)


class AnsweringRunCommand:
    """SendCommand and ListCommandInvocations as Run Command answers them: the first instance succeeds, the
    second fails with exit code 2."""

    def send_command(self, ctx, req):
        self.sent = req
        return SimpleNamespace(Command=SimpleNamespace(CommandId="11111111-2222-3333-4444-555555555555"))

    def list_command_invocations(self, ctx, req):
        def invocation(instance_id: str, ok: bool):
            plugin = SimpleNamespace(Status="Success" if ok else "Failed", StatusDetails=None,
                                     ResponseCode=0 if ok else 2)
            return SimpleNamespace(InstanceId=instance_id, Status="Success" if ok else "Failed",
                                   StatusDetails="Success" if ok else "Failed", CommandPlugins=[plugin])

        return SimpleNamespace(CommandInvocations=[invocation(ONLINE[0], True), invocation(ONLINE[1], False)],
                               NextToken=None)


class TwoInstances:
    def select(self, ctx, instance_ids=None, targets=None):
        return [SimpleNamespace(instance_id=i, online=True) for i in ONLINE]


def runner_with(compliance, sync: str | None = None):
    services = Services(config=Config(ephemeral=True), db=Database(None), clock=Clock(), background=Background())
    services.db.migrate(COMPONENT, MIGRATIONS)
    run_command = AnsweringRunCommand()
    runner = AssociationRunner(services, instances=TwoInstances(), run_command=run_command, automation=None,
                               calendars=None, compliance=compliance)
    definition = {"Name": "AWS-RunShellScript", "Targets": [{"Key": "tag:team", "Values": ["web"]}],
                  "Parameters": {"commands": ["true"]}}
    if sync:
        definition["SyncCompliance"] = sync
    with services.db.write() as conn:
        storage.insert(conn, storage.NewAssociation(
            id="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", account=ACCOUNT, region=REGION, name="AWS-RunShellScript",
            document_type="Command", instance_id=None, association_name=None, definition=definition,
            created_at=0.0, next_run=None))
        row = storage.any_by_id(conn, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
    return runner, row, services, run_command


def test_a_run_reports_each_instance_to_compliance():
    compliance = RecordingCompliance()
    runner, row, services, run_command = runner_with(compliance)
    runner._apply(row, None)
    assert run_command.sent.Comment == f"State Manager association {row['id']}"
    assert [(r["instance_id"], r["status"]) for r in compliance.reports] == [
        (ONLINE[0], "COMPLIANT"), (ONLINE[1], "NON_COMPLIANT")]
    first = compliance.reports[0]
    assert (first["account"], first["region"], first["association_id"], first["document_name"],
            first["document_version"]) == (ACCOUNT, REGION, row["id"], "AWS-RunShellScript", "$DEFAULT")
    assert isinstance(first["execution_time"], float)
    with services.db.read() as conn:
        updated = storage.any_by_id(conn, row["id"])
    assert (updated["overview_status"], json.loads(updated["overview_counts"])) == ("Failed", {"Success": 1,
                                                                                                "Failed": 1})


def test_manual_sync_and_no_compliance_report_nothing():
    compliance = RecordingCompliance()
    runner, row, _, _ = runner_with(compliance, sync="MANUAL")
    runner._apply(row, None)
    assert compliance.reports == []
    runner, row, _, _ = runner_with(None)
    runner._apply(row, None)  # no Compliance capability: the run still ends
