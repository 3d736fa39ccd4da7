"""Inventory against the real server and real containers: AWS-GatherSoftwareInventory through Run Command
gathers what is really installed (compared with dpkg-query in the container), a package installed later
shows after gathering again, custom inventory files are gathered; PutInventory's custom types round-trip
through GetInventory, ListInventoryEntries and GetInventorySchema; aggregators count; DeleteInventory and
DescribeInventoryDeletions; PutInventory's refusals."""
from __future__ import annotations

import json
import time

import pytest

from fixtures_instances import BUSYBOX_IMAGE, DEBIAN_IMAGE
from test_parameter_store import error_of
from test_run_command import register_container, register_sshd, server, ssm, wait_invocation  # noqa: F401 (fixtures)

CAPTURE = "2024-05-01T10:00:00Z"
TOKEN = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def gather(ssm, instance_id: str, **parameters) -> dict:
    sent = ssm.send_command(InstanceIds=[instance_id], DocumentName="AWS-GatherSoftwareInventory",
                            Parameters={k: [v] for k, v in parameters.items()})
    found = wait_invocation(ssm, sent["Command"]["CommandId"], instance_id, timeout=120)
    assert found["Status"] == "Success", found
    return found


def entries(ssm, instance_id: str, type_name: str, **kwargs) -> list[dict]:
    out, token = [], None
    while True:
        page = ssm.list_inventory_entries(InstanceId=instance_id, TypeName=type_name,
                                          **kwargs, **({"NextToken": token} if token else {}))
        out += page["Entries"]
        token = page.get("NextToken")
        if not token:
            return out


def listed(container) -> dict[str, str]:
    """The packages `dpkg-query -W` lists (what SSM Agent asks), with their versions."""
    result = container.exec_run(["dpkg-query", "-W", "-f=${Package}\t${Version}\n"], stderr=False)
    return dict(line.split("\t") for line in result.output.decode().splitlines())


def put_rack(ssm, instance_id: str, **content) -> None:
    ssm.put_inventory(InstanceId=instance_id, Items=[{
        "TypeName": "Custom:RackInfo", "SchemaVersion": "1.0", "CaptureTime": CAPTURE,
        "Content": [content or {"Location": "Bay B", "Shelf": "3"}],
    }])


# --- gathering ---------------------------------------------------------------------------------------------------
def test_gathering_lists_the_packages_really_installed_and_one_installed_later(ssm, server, make_container):
    box = make_container()
    instance_id = register_container(server, box)
    gather(ssm, instance_id, files=json.dumps([{"Path": "/etc", "Pattern": ["host*"], "Recursive": False}]))

    apps = {e["Name"]: e for e in entries(ssm, instance_id, "AWS:Application")}
    assert {name: e["Version"] for name, e in apps.items()} == listed(box)
    # the agent names dpkg's amd64 x86_64 (as rpm does), and dpkg keeps no install date to report
    dpkg_arch = box.exec_run(["dpkg", "--print-architecture"]).output.decode().strip()
    assert apps["bash"]["Architecture"] == {"amd64": "x86_64"}.get(dpkg_arch, dpkg_arch)
    assert "InstalledTime" not in apps["bash"] and "Release" not in apps["bash"]
    assert apps["bash"]["ApplicationType"] == "shells"

    info = entries(ssm, instance_id, "AWS:InstanceInformation")[0]
    assert info["InstanceId"] == instance_id and info["PlatformType"] == "Linux"
    # the agent on Linux: every interface but loopback, one IPv4 and one IPv6 each, no mask/gateway/DNS
    network = {e["Name"]: e for e in entries(ssm, instance_id, "AWS:Network")}
    assert set(network) == set(box.exec_run(["ls", "/sys/class/net"]).output.decode().split()) - {"lo"}
    assert all(e.keys() <= {"Name", "MacAddress", "IPV4", "IPV6"} for e in network.values())
    assert all("," not in e.get("IPV4", "") + e.get("IPV6", "") for e in network.values())
    detailed = entries(ssm, instance_id, "AWS:InstanceDetailedInformation")[0]
    processors = box.exec_run(["grep", "-c", "^processor", "/proc/cpuinfo"]).output.decode().strip()
    assert detailed["CPUs"] == processors and "KernelVersion" not in detailed
    # read from lscpu as the agent reads it: a newer lscpu (bookworm's) prints no "CPU MHz:", so no speed
    lscpu = box.exec_run(["lscpu"], environment={"LC_ALL": "C"}).output.decode()
    assert ("CPUSpeedMHz" in detailed) == ("CPU MHz:" in lscpu)
    threads = int(lscpu.split("Thread(s) per core:")[1].split()[0])
    assert detailed["CPUHyperThreadEnabled"] == ("true" if threads > 1 else "false")
    files = {e["Name"] for e in entries(ssm, instance_id, "AWS:File")}
    assert {"hostname", "hosts"} <= files

    # a package built and installed in the container, no network needed
    script = (
        "set -e; mkdir -p /tmp/pkg/DEBIAN /tmp/pkg/etc; echo on > /tmp/pkg/etc/ssm-emu-probe.conf; "
        "echo /etc/ssm-emu-probe.conf > /tmp/pkg/DEBIAN/conffiles; "
        "printf 'Package: ssm-emu-probe\\nVersion: 1.2.3\\nArchitecture: all\\nMaintainer: Tester <t@example.com>\\n"
        f"Description: a probe package {'x' * 120}\\n more lines\\n' > /tmp/pkg/DEBIAN/control; "
        "dpkg-deb --build /tmp/pkg /tmp/probe.deb >/dev/null; dpkg -i /tmp/probe.deb >/dev/null"
    )
    assert box.exec_run(["/bin/sh", "-c", script]).exit_code == 0
    gather(ssm, instance_id)
    probe = entries(ssm, instance_id, "AWS:Application",
                    Filters=[{"Key": "Name", "Values": ["ssm-emu-probe"], "Type": "Equal"}])
    assert probe == [{**probe[0], "Name": "ssm-emu-probe", "Version": "1.2.3", "Architecture": "all",
                      "Publisher": "Tester <t@example.com>",
                      "Summary": f"a probe package {'x' * 120}"[:100]}]  # the agent's 100 characters

    # removed but not purged (its conffile kept): `dpkg-query -W`, as the agent runs it, still lists it
    assert box.exec_run(["dpkg", "-r", "ssm-emu-probe"]).exit_code == 0
    gather(ssm, instance_id)
    assert [e["Version"] for e in entries(ssm, instance_id, "AWS:Application", Filters=[
        {"Key": "Name", "Values": ["ssm-emu-probe"], "Type": "Equal"}])] == ["1.2.3"]
    found = ssm.get_inventory(Filters=[{"Key": "AWS:Application.Name", "Values": ["ssm-emu-probe"]}])
    assert [e["Id"] for e in found["Entities"]] == [instance_id]


# A System V service the container's `service` runs: `status` answers from its pid file and says so, as LSB
# scripts do (`service --status-all` counts a silent success as stopped).
PROBE_SERVICE = r"""#!/bin/sh
PIDFILE=/run/ssm-emu-probe.pid
case "$1" in
  start) sh -c 'echo $$ > /run/ssm-emu-probe.pid; exec sleep 3600' >/dev/null 2>&1 & ;;
  stop) kill "$(cat $PIDFILE)" 2>/dev/null; rm -f $PIDFILE ;;
  status) [ -f $PIDFILE ] && kill -0 "$(cat $PIDFILE)" 2>/dev/null && echo "ssm-emu-probe is running" ;;
esac
"""


def test_a_document_gathers_only_the_types_its_inputs_enable(ssm, server, make_container):
    # the agent runs a gatherer only when its input is exactly "Enabled": one left out, or "enabled", is off
    box = make_container()
    instance_id = register_container(server, box)
    ssm.create_document(Name="Inventory-Apps-Only", DocumentType="Command", DocumentFormat="JSON",
                        Content=json.dumps({"schemaVersion": "2.2", "description": "apps only", "mainSteps": [{
                            "action": "aws:softwareInventory", "name": "collect",
                            "inputs": {"applications": "Enabled", "networkConfig": "enabled"}}]}))
    sent = ssm.send_command(InstanceIds=[instance_id], DocumentName="Inventory-Apps-Only")
    assert wait_invocation(ssm, sent["Command"]["CommandId"], instance_id, timeout=120)["Status"] == "Success"
    assert entries(ssm, instance_id, "AWS:Application")
    assert entries(ssm, instance_id, "AWS:Network") == []
    assert entries(ssm, instance_id, "AWS:InstanceDetailedInformation") == []


def test_aws_components_are_the_applications_the_agent_names_so(ssm, server, make_container):
    box = make_container()
    instance_id = register_container(server, box)
    package = (
        "set -e; mkdir -p /tmp/cfn/DEBIAN; printf 'Package: aws-cfn-bootstrap\\nVersion: 2.0-32\\n"
        "Architecture: all\\nMaintainer: Amazon <a@example.com>\\nSection: admin\\nDescription: cfn\\n' "
        "> /tmp/cfn/DEBIAN/control; dpkg-deb --build /tmp/cfn /tmp/cfn.deb >/dev/null; "
        "dpkg -i /tmp/cfn.deb >/dev/null"
    )
    assert box.exec_run(["/bin/sh", "-c", package]).exit_code == 0
    gather(ssm, instance_id, applications="Disabled")  # the AWS components gatherer lists packages itself
    assert entries(ssm, instance_id, "AWS:AWSComponent") == [
        {"Name": "aws-cfn-bootstrap", "Version": "2.0-32", "Architecture": "all",
         "Publisher": "Amazon <a@example.com>", "ApplicationType": "admin"}]
    assert entries(ssm, instance_id, "AWS:Application") == []


def test_files_are_gathered_as_the_agent_scans_them(ssm, server, make_container):
    box = make_container()
    instance_id = register_container(server, box)
    setup = "mkdir -p /srv/app/a/b && echo hi > /srv/app/run.sh && echo x > /srv/app/a/b/deep.sh && touch /srv/x.txt"
    assert box.exec_run(["/bin/sh", "-c", setup]).exit_code == 0
    gather(ssm, instance_id, applications="Disabled", files=json.dumps([
        {"Path": "/srv/app", "Pattern": ["*.sh"], "Recursive": True},
        {"Path": "/srv/app", "Pattern": [], "Recursive": False},  # no pattern: no file
    ]))
    found = sorted(entries(ssm, instance_id, "AWS:File"), key=lambda e: e["Name"])
    modified = box.exec_run(["stat", "-c", "%Y", "/srv/app/run.sh"]).output.decode().strip()
    # Linux's agent reports Name, Size (a string), ModificationTime and InstalledDir, no access time
    assert found[1] == {"Name": "run.sh", "Size": "3", "InstalledDir": "/srv/app",
                        "ModificationTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(modified)))}
    assert [(e["Name"], e["InstalledDir"]) for e in found] == [("deep.sh", "/srv/app/a/b"), ("run.sh", "/srv/app")]

    # DirScanLimit counts the directories a recursive scan walks (/srv/app, a, a/b): past it the gatherer
    # fails, and with it the whole step
    sent = ssm.send_command(InstanceIds=[instance_id], DocumentName="AWS-GatherSoftwareInventory", Parameters={
        "files": [json.dumps([{"Path": "/srv/app", "Pattern": ["*"], "Recursive": True, "DirScanLimit": 2}])]})
    failed = wait_invocation(ssm, sent["Command"]["CommandId"], instance_id, timeout=120)
    assert failed["Status"] == "Failed"
    assert failed["StandardErrorContent"] == (
        "Encountered error while executing AWS:File. Error - Directory Scan Limit Exceeded")


def test_services_the_instance_runs_are_gathered_with_their_state(ssm, server, make_container):
    # The emulator's extension (the agent gathers services on Windows only): a Linux service manager answers
    box = make_container()
    instance_id = register_container(server, box)
    install = f"cat > /etc/init.d/ssm-emu-probe <<'X'\n{PROBE_SERVICE}X\nchmod 755 /etc/init.d/ssm-emu-probe"
    assert box.exec_run(["/bin/sh", "-c", install]).exit_code == 0
    assert box.exec_run(["service", "ssm-emu-probe", "start"]).exit_code == 0
    gather(ssm, instance_id)
    services = {e["Name"]: e["Status"] for e in entries(ssm, instance_id, "AWS:Service")}
    assert services == {"ssm-emu-probe": "Running", "procps": "Stopped"}  # hwclock.sh can't tell: left out

    assert box.exec_run(["service", "ssm-emu-probe", "stop"]).exit_code == 0
    gather(ssm, instance_id)
    assert {e["Name"]: e["Status"] for e in entries(ssm, instance_id, "AWS:Service")}["ssm-emu-probe"] == "Stopped"
    counted = ssm.get_inventory(Aggregators=[{"Expression": "AWS:Service.Status"}])["Entities"][0]["Data"]
    assert counted["AWS:Service"]["Content"] == [{"Status": "Stopped", "Count": "1"}]


def test_custom_inventory_files_on_the_instance_are_gathered(ssm, server, make_container):
    box = make_container()
    instance_id = register_container(server, box)
    folder = f"/var/lib/amazon/ssm/{instance_id}/inventory/custom"

    def write(name: str, body: str) -> None:
        script = f"mkdir -p {folder} && cat > {folder}/{name} <<'X'\n{body}\nX"
        assert box.exec_run(["/bin/sh", "-c", script]).exit_code == 0

    write("rack.json", json.dumps({"SchemaVersion": "1.0", "TypeName": "Custom:RackInfo",
                                   "Content": {"RackLocation": "Bay B/Row C", "Units": "4"}}))
    # files SSM Agent skips (logged, the step goes on): a value that is not a string, not JSON at all
    write("numbers.json", json.dumps({"SchemaVersion": "1.0", "TypeName": "Custom:Numbers",
                                      "Content": {"Units": 4}}))
    write("broken.json", "{not json")
    gather(ssm, instance_id, applications="Disabled")
    assert entries(ssm, instance_id, "Custom:RackInfo") == [{"RackLocation": "Bay B/Row C", "Units": "4"}]
    names = {s["TypeName"] for s in ssm.get_inventory_schema()["Schemas"]}
    assert "Custom:RackInfo" in names and "Custom:Numbers" not in names
    schema = ssm.get_inventory_schema(TypeName="Custom:RackInfo")["Schemas"][0]
    assert {a["Name"] for a in schema["Attributes"]} == {"RackLocation", "Units"}

    # a type name the agent reads but PutInventory refuses: the one upload fails, nothing of it is stored
    write("bad.json", json.dumps({"SchemaVersion": "1.0", "TypeName": "Custom:bad name", "Content": {"A": "1"}}))
    sent = ssm.send_command(InstanceIds=[instance_id], DocumentName="AWS-GatherSoftwareInventory")
    failed = wait_invocation(ssm, sent["Command"]["CommandId"], instance_id, timeout=120)
    assert failed["Status"] == "Failed"
    assert failed["StandardErrorContent"].startswith(
        "inventory data could not be uploaded to Systems Manager. Additional troubleshooting information - "
        "InvalidTypeNameException")
    assert entries(ssm, instance_id, "AWS:Application") == []


def test_custom_inventory_round_trips(ssm, server, make_container):
    instance_id = register_container(server, make_container())
    put_rack(ssm, instance_id)
    listed = ssm.list_inventory_entries(InstanceId=instance_id, TypeName="Custom:RackInfo")
    assert listed["Entries"] == [{"Location": "Bay B", "Shelf": "3"}]
    assert listed["SchemaVersion"] == "1.0" and listed["CaptureTime"] == CAPTURE

    got = ssm.get_inventory(ResultAttributes=[{"TypeName": "Custom:RackInfo"}])["Entities"]
    assert got == [{"Id": instance_id, "Data": {"Custom:RackInfo": {
        "TypeName": "Custom:RackInfo", "SchemaVersion": "1.0", "CaptureTime": CAPTURE,
        "Content": [{"Location": "Bay B", "Shelf": "3"}]}}}]
    default = ssm.get_inventory()["Entities"]
    assert list(default[0]["Data"]) == ["AWS:InstanceInformation"]

    schema = ssm.get_inventory_schema(TypeName="Custom:RackInfo")["Schemas"]
    assert schema == [{"TypeName": "Custom:RackInfo", "Version": "1.0", "Attributes": [
        {"Name": "Location", "DataType": "string"}, {"Name": "Shelf", "DataType": "string"}]}]
    names = {s["TypeName"] for s in ssm.get_inventory_schema()["Schemas"]}
    assert {"AWS:Application", "AWS:InstanceInformation", "Custom:RackInfo"} <= names

    for kind, values, expected in [
        ("BeginWith", ["Bay"], True), ("NotEqual", ["Bay B"], False), ("GreaterThan", ["2"], True),
        ("LessThan", ["3"], False), ("Exists", ["x"], True),
    ]:
        key = "Custom:RackInfo.Shelf" if kind in ("GreaterThan", "LessThan") else "Custom:RackInfo.Location"
        found = ssm.get_inventory(Filters=[{"Key": key, "Values": values, "Type": kind}])["Entities"]
        assert bool(found) is expected, kind


def test_schema_of_the_aws_types_is_the_user_guides(ssm, server):
    # "Metadata collected by inventory": Size a string, the CPU counts numbers, no kernel version,
    # AgentStatus, and the compliance and patch summary types
    schemas = {s["TypeName"]: {a["Name"]: a["DataType"] for a in s["Attributes"]}
               for s in ssm.get_inventory_schema()["Schemas"]}
    assert schemas["AWS:File"]["Size"] == "string"
    assert schemas["AWS:InstanceDetailedInformation"] == {
        "CPUModel": "string", "CPUCores": "number", "CPUs": "number", "CPUSpeedMHz": "number",
        "CPUSockets": "number", "CPUHyperThreadEnabled": "string", "OSServicePack": "string"}
    assert "AgentStatus" in schemas["AWS:InstanceInformation"]
    assert schemas["AWS:ComplianceSummary"]["NonCompliantCriticalCount"] == "number"
    assert schemas["AWS:PatchSummary"]["MissingCount"] == "number"
    item = ssm.get_inventory_schema(TypeName="AWS:ComplianceItem")["Schemas"]
    assert [s["Version"] for s in item] == ["1.0"] and {"ExecutionId", "PatchState"} <= {
        a["Name"] for a in item[0]["Attributes"]}


def test_content_hash_unchanged_keeps_content(ssm, server, make_container):
    instance_id = register_container(server, make_container())
    item = {"TypeName": "Custom:App", "SchemaVersion": "1.0", "CaptureTime": CAPTURE, "ContentHash": "h1",
            "Content": [{"Name": "a"}]}
    ssm.put_inventory(InstanceId=instance_id, Items=[item])
    later = {**item, "CaptureTime": "2024-05-02T10:00:00Z", "Content": [{"Name": "b"}]}
    ssm.put_inventory(InstanceId=instance_id, Items=[later])
    listed = ssm.list_inventory_entries(InstanceId=instance_id, TypeName="Custom:App")
    assert listed["Entries"] == [{"Name": "a"}] and listed["CaptureTime"] == "2024-05-02T10:00:00Z"
    ssm.put_inventory(InstanceId=instance_id, Items=[{**later, "ContentHash": "h2"}])
    assert entries(ssm, instance_id, "Custom:App") == [{"Name": "b"}]


def test_aggregators_count_across_two_instances(ssm, server, make_container):
    first, second = (register_container(server, make_container()) for _ in range(2))
    for instance_id, apps in ((first, ["nginx", "curl"]), (second, ["curl"])):
        ssm.put_inventory(InstanceId=instance_id, Items=[{
            "TypeName": "AWS:Application", "SchemaVersion": "1.1", "CaptureTime": CAPTURE,
            "Content": [{"Name": name, "Version": "1"} for name in apps]}])
    found = ssm.get_inventory(Aggregators=[{"Expression": "AWS:Application.Name"}])["Entities"]
    content = found[0]["Data"]["AWS:Application"]["Content"]
    assert content == [{"Name": "curl", "Count": "2"}, {"Name": "nginx", "Count": "1"}]
    platforms = ssm.get_inventory(Aggregators=[{"Expression": "AWS:InstanceInformation.PlatformType"}])
    assert platforms["Entities"][0]["Data"]["AWS:InstanceInformation"]["Content"] == [
        {"PlatformType": "Linux", "Count": "2"}]
    code, _ = error_of(ssm.get_inventory, Aggregators=[{"Expression": "Name"}])
    assert code == "InvalidAggregatorException"

    # nested: each application's name refined by its own version, then by its node's platform (the user
    # guide's three-level example); nginx 1 is on one node, curl 1 on two, curl 2 nowhere
    nested = ssm.get_inventory(Aggregators=[{"Expression": "AWS:Application.Name", "Aggregators": [
        {"Expression": "AWS:Application.Version", "Aggregators": [
            {"Expression": "AWS:InstanceInformation.PlatformType"}]}]}])["Entities"][0]["Data"]
    assert nested["AWS:Application"]["Content"] == [
        {"Name": "curl", "Version": "1", "PlatformType": "Linux", "Count": "2"},
        {"Name": "nginx", "Version": "1", "PlatformType": "Linux", "Count": "1"}]
    code, _ = error_of(ssm.get_inventory, Aggregators=[{"Expression": "AWS:Application.Name", "Aggregators": [
        {"Groups": [{"Name": "G", "Filters": [{"Key": "TypeName", "Values": ["AWS:Application"]}]}]}]}])
    assert code == "InvalidAggregatorException"

    # groups without an expression, each under its name, as the user guide answers them
    grouped = ssm.get_inventory(Aggregators=[{"Groups": [
        {"Name": "HasNginx", "Filters": [{"Key": "AWS:Application.Name", "Values": ["nginx"]}]},
        {"Name": "NoNginx", "Filters": [{"Key": "AWS:Application.Name", "Values": ["nginx"], "Type": "NotEqual"}]},
        {"Name": "ApplicationOrFile", "Filters": [
            {"Key": "TypeName", "Values": ["AWS:Application", "AWS:File"], "Type": "Exists"}]},
        {"Name": "HasFile", "Filters": [{"Key": "TypeName", "Values": ["AWS:File"], "Type": "Exists"}]},
    ]}])["Entities"][0]["Data"]
    assert {name: item["Content"] for name, item in grouped.items()} == {
        "HasNginx": [{"notMatchingCount": "1"}, {"matchingCount": "1"}],
        "NoNginx": [{"notMatchingCount": "1"}, {"matchingCount": "1"}],
        "ApplicationOrFile": [{"notMatchingCount": "0"}, {"matchingCount": "2"}],
        "HasFile": [{"notMatchingCount": "2"}, {"matchingCount": "0"}]}

    page = ssm.get_inventory(MaxResults=1)
    rest = ssm.get_inventory(MaxResults=1, NextToken=page["NextToken"])
    assert [e["Id"] for e in page["Entities"] + rest["Entities"]] == sorted([first, second])
    assert "NextToken" not in rest


def test_delete_inventory_dry_run_then_real_and_deletions(ssm, server, make_container):
    instance_id = register_container(server, make_container())
    put_rack(ssm, instance_id)
    dry = ssm.delete_inventory(TypeName="Custom:RackInfo", DryRun=True)
    assert dry["DeletionSummary"]["TotalCount"] == 1 and dry["DeletionSummary"]["RemainingCount"] == 1
    assert entries(ssm, instance_id, "Custom:RackInfo") != []
    assert ssm.describe_inventory_deletions()["InventoryDeletions"] == []

    real = ssm.delete_inventory(TypeName="Custom:RackInfo", SchemaDeleteOption="DeleteSchema", ClientToken=TOKEN)
    retried = ssm.delete_inventory(TypeName="Custom:RackInfo", SchemaDeleteOption="DeleteSchema", ClientToken=TOKEN)
    assert retried["DeletionId"] == real["DeletionId"]
    assert real["DeletionSummary"]["SummaryItems"] == [{"Version": "1.0", "Count": 1, "RemainingCount": 0}]
    assert entries(ssm, instance_id, "Custom:RackInfo") == []
    assert error_of(ssm.get_inventory_schema, TypeName="Custom:RackInfo")[0] == "InvalidTypeNameException"
    deletions = ssm.describe_inventory_deletions(DeletionId=real["DeletionId"])["InventoryDeletions"]
    assert deletions[0]["LastStatus"] == "Complete" and deletions[0]["TypeName"] == "Custom:RackInfo"
    code, _ = error_of(ssm.describe_inventory_deletions, DeletionId="00000000-0000-0000-0000-000000000000")
    assert code == "InvalidDeletionIdException"

    put_rack(ssm, instance_id)
    ssm.delete_inventory(TypeName="Custom:RackInfo", SchemaDeleteOption="DisableSchema")
    assert error_of(put_rack, ssm, instance_id)[0] == "UnsupportedInventorySchemaVersionException"
    assert ssm.get_inventory_schema()["Schemas"][-1]["TypeName"] != "Custom:RackInfo"
    ssm.put_inventory(InstanceId=instance_id, Items=[{
        "TypeName": "Custom:RackInfo", "SchemaVersion": "1.1", "CaptureTime": CAPTURE, "Content": [{"Bay": "C"}]}])
    assert ssm.get_inventory_schema(TypeName="Custom:RackInfo")["Schemas"][0]["Version"] == "1.1"


def test_put_inventory_refuses_what_aws_refuses(ssm, server, make_container):
    instance_id = register_container(server, make_container())

    def put(**item):
        return ssm.put_inventory(InstanceId=instance_id, Items=[{
            "TypeName": "Custom:T", "SchemaVersion": "1.0", "CaptureTime": CAPTURE, "Content": [{"A": "1"}],
            **item}])

    assert error_of(put, TypeName="AWS:Nonsense")[0] == "InvalidTypeNameException"
    assert error_of(put, TypeName="Custom:bad name")[0] == "InvalidTypeNameException"
    assert error_of(put, TypeName="AWS:Application", SchemaVersion="1.1",
                    Content=[{"Colour": "red"}])[0] == "InvalidItemContentException"
    code, _ = error_of(put, TypeName="AWS:Application", SchemaVersion="9.0")
    assert code == "UnsupportedInventorySchemaVersionException"
    assert error_of(put, Context={"ExecutionId": "x"})[0] == "UnsupportedInventoryItemContextException"
    assert error_of(put, CaptureTime="yesterday")[0] == "ValidationException"
    assert error_of(put, Content=[{"A": "x" * 4096}] * 300)[0] == "ItemSizeLimitExceededException"
    put()
    assert error_of(put, Content=[{"B": "2"}])[0] == "ItemContentMismatchException"
    put(SchemaVersion="2.0", Content=[{"B": "2"}])
    for n in range(19):
        put(TypeName=f"Custom:T{n}")
    assert error_of(put, TypeName="Custom:OneTooMany")[0] == "CustomSchemaCountLimitExceededException"
    code, _ = error_of(ssm.put_inventory, InstanceId="mi-0123456789abcdef0", Items=[{
        "TypeName": "Custom:T", "SchemaVersion": "1.0", "CaptureTime": CAPTURE, "Content": []}])
    assert code == "InvalidInstanceId"


def test_gathering_on_a_machine_without_a_package_manager_or_systemd(ssm, server, busybox_container):
    instance_id = register_container(server, busybox_container)
    found = gather(ssm, instance_id)
    assert found["StandardOutputContent"] == ("Inventory policy has been successfully applied and collected "
                                              "inventory data has been uploaded to SSM")
    assert entries(ssm, instance_id, "AWS:Application") == []
    # the container has no network, only its loopback, which the agent leaves out
    assert entries(ssm, instance_id, "AWS:Network") == []
    assert ssm.get_inventory(ResultAttributes=[{"TypeName": "AWS:Service"}])["Entities"] == []

    server.admin_call("DELETE", f"/_emulator/instances/{instance_id}")
    kept = ssm.get_inventory(Filters=[{"Key": "AWS:InstanceInformation.InstanceStatus", "Values": ["Terminated"]}])
    assert [e["Id"] for e in kept["Entities"]] == [instance_id]


def test_gathering_over_ssh_and_unchanged_content_is_kept(ssm, server, sshd):
    instance_id = register_sshd(server, sshd)
    gather(ssm, instance_id, applications="Disabled")
    first = ssm.list_inventory_entries(InstanceId=instance_id, TypeName="AWS:Network")
    assert first["Entries"] and first["SchemaVersion"] == "1.0"
    gather(ssm, instance_id, applications="Disabled")
    again = ssm.list_inventory_entries(InstanceId=instance_id, TypeName="AWS:Network")
    assert again["Entries"] == first["Entries"]
    item = ssm.get_inventory(ResultAttributes=[{"TypeName": "AWS:Network"}])["Entities"][0]["Data"]["AWS:Network"]
    assert len(item["ContentHash"]) == 32  # MD5


# A stand-in for snap (no snapd runs in a container), printing `snap list` as snapd 2.x does.
FAKE_SNAP = """#!/bin/sh
[ "$1" = list ] || exit 1
echo 'Name    Version   Rev    Tracking       Publisher   Notes'
echo 'core22  20240111  1122   latest/stable  canonical**  base'
echo 'lxd     5.21.1    28463  5.21/stable    canonical**  -'
"""


def test_snaps_are_gathered_when_the_snapd_package_is_installed(ssm, server, make_container):
    box = make_container()
    instance_id = register_container(server, box)
    install = f"cat > /usr/local/bin/snap <<'X'\n{FAKE_SNAP}X\nchmod +x /usr/local/bin/snap"
    assert box.exec_run(["/bin/sh", "-c", install]).exit_code == 0
    gather(ssm, instance_id)  # snap there, but no snapd package: the agent does not ask it
    assert not entries(ssm, instance_id, "AWS:Application", Filters=[{"Key": "Name", "Values": ["lxd"]}])

    package = (
        "set -e; mkdir -p /tmp/snapd/DEBIAN; printf 'Package: snapd\\nVersion: 2.61\\nArchitecture: all\\n"
        "Maintainer: T <t@example.com>\\nDescription: stand-in\\n' > /tmp/snapd/DEBIAN/control; "
        "dpkg-deb --build /tmp/snapd /tmp/snapd.deb >/dev/null; dpkg -i /tmp/snapd.deb >/dev/null"
    )
    assert box.exec_run(["/bin/sh", "-c", package]).exit_code == 0
    gather(ssm, instance_id)
    snaps = entries(ssm, instance_id, "AWS:Application", Filters=[{"Key": "Name", "Values": ["core22", "lxd"]}])
    assert sorted(snaps, key=lambda e: e["Name"]) == [
        {"Name": "core22", "Version": "20240111", "Publisher": "canonical**", "ApplicationType": "admin"},
        {"Name": "lxd", "Version": "5.21.1", "Publisher": "canonical**", "ApplicationType": "admin"}]


# Stand-ins for rpm (on Debian, its dpkg-query moved away; busybox's sh would run its own rpm applet) and
# apk (on busybox), as there is no RPM or Alpine image here: they answer the listings gathering asks for,
# as the real tools print them.
FAKE_RPM = """#!/bin/sh
[ "$1" = -qa ] || exit 1
[ "$2" = --queryformat ] || exit 0
printf 'tzdata\\t2024a\\t1.el9\\t(none)\\tnoarch\\tRed Hat, Inc.\\tTimezone data\\t1700000000\\tUnspecified\\t'
printf 'https://www.iana.org/time-zones\\ttzdata-2024a-1.el9.src.rpm\\n'
printf 'openssl\\t3.0.7\\t27.el9\\t1\\tx86_64\\tRed Hat, Inc.\\tUtilities for TLS\\t1700000000\\t'
printf 'Unspecified\\t(none)\\t'
printf 'openssl-3.0.7-27.el9.src.rpm\\n'
"""
FAKE_APK = """#!/bin/sh
[ "$1 $2" = "list -I" ] || exit 1
echo 'musl-1.2.4-r2 x86_64 {musl} (MIT) [installed]'
echo 'ca-certificates-bundle-20230506-r0 x86_64 {ca-certificates} (MPL-2.0 AND MIT) [installed]'
"""


@pytest.mark.parametrize("image,tool,script,expected", [
    # as the agent reports rpm's packages: VERSION, RELEASE and EPOCH apart, the source RPM as PackageId
    (DEBIAN_IMAGE, "rpm", FAKE_RPM, [{"Name": "openssl", "Version": "3.0.7", "Release": "27.el9", "Epoch": "1",
                        "Architecture": "x86_64", "Publisher": "Red Hat, Inc.", "Summary": "Utilities for TLS",
                        "PackageId": "openssl-3.0.7-27.el9.src.rpm", "InstalledTime": "2023-11-14T22:13:20Z",
                        "ApplicationType": "Unspecified", "URL": "(none)"},
                       {"Name": "tzdata", "Version": "2024a", "Release": "1.el9", "Architecture": "noarch",
                        "Publisher": "Red Hat, Inc.", "Summary": "Timezone data",
                        "PackageId": "tzdata-2024a-1.el9.src.rpm", "InstalledTime": "2023-11-14T22:13:20Z",
                        "ApplicationType": "Unspecified", "URL": "https://www.iana.org/time-zones"}]),
    (BUSYBOX_IMAGE, "apk", FAKE_APK, [{"Name": "ca-certificates-bundle", "Version": "20230506-r0",
                                      "Architecture": "x86_64", "PackageId": "ca-certificates-bundle-20230506-r0"},
                       {"Name": "musl", "Version": "1.2.4-r2", "Architecture": "x86_64",
                        "PackageId": "musl-1.2.4-r2"}]),
])
def test_gathering_reads_rpm_and_apk_listings(ssm, server, make_container, image, tool, script, expected):
    box = make_container(image=image)
    install = (
        f"mkdir -p /usr/local/bin && cat > /usr/local/bin/{tool} <<'X'\n{script}X\n"
        f"chmod +x /usr/local/bin/{tool}"
        " && if [ -e /usr/bin/dpkg-query ]; then mv /usr/bin/dpkg-query /usr/bin/dpkg-query.away; fi"
    )
    assert box.exec_run(["/bin/sh", "-c", install]).exit_code == 0
    instance_id = register_container(server, box)
    gather(ssm, instance_id)
    # in the agent's order (by name), whatever order the package manager lists them in
    assert entries(ssm, instance_id, "AWS:Application") == expected
