"""AWS-RunPatchBaseline for real, through Run Command, on Debian containers whose only package sources are two local
apt repositories built in the container (no network): /srv/main (Suite bookworm) and /srv/security (Suite
bookworm-security, Label Local-Security). Version 1.0 of alpha, beta and delta is installed; the repositories offer
alpha 2.0 (main), beta 2.0, delta 2.0 and gamma 1.0 (security), and epsilon 2.0 (security), whose install says a
reboot is required. A Scan finds exactly the approved missing updates and installs nothing; an Install installs
exactly those; the patch states, counts and Patch compliance follow."""
from __future__ import annotations

import json

from fixtures_instances import DEBIAN_IMAGE  # noqa: F401 (the image the containers run)
from test_parameter_store import error_of
from test_run_command import register_container, server, ssm, wait_invocation  # noqa: F401 (fixtures)

REPOS = r"""
set -e
mk() { # name version priority folder [postinst]
  d=$(mktemp -d); mkdir -p $d/DEBIAN
  printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: T <t@example.com>\nPriority: %s\nSection: utils\nDescription: test package %s\n' $1 $2 $3 $1 > $d/DEBIAN/control
  if [ -n "$5" ]; then printf '#!/bin/sh\n%s\n' "$5" > $d/DEBIAN/postinst; chmod 755 $d/DEBIAN/postinst; fi
  dpkg-deb --build $d $4/$1_$2_all.deb >/dev/null
}
index() { # folder suite label
  cd $1; : > Packages
  for f in *.deb; do dpkg-deb -f $f >> Packages; printf 'Filename: ./%s\nSize: %s\nSHA256: %s\n\n' $f $(stat -c %s $f) $(sha256sum $f | cut -d' ' -f1) >> Packages; done
  printf 'Origin: Local\nLabel: %s\nSuite: %s\nCodename: %s\nDate: %s\nSHA256:\n %s %s Packages\n' $3 $2 $2 \
    "$(date -Ru)" $(sha256sum Packages | cut -d' ' -f1) $(stat -c %s Packages) > Release
  cd /
}
mkdir -p /srv/main /srv/security /tmp/v1
for p in alpha beta delta epsilon; do mk $p 1.0 important /tmp/v1; done
dpkg -i /tmp/v1/*.deb >/dev/null
mk alpha 2.0 optional /srv/main
mk beta 2.0 important /srv/security
mk delta 2.0 standard /srv/security
mk gamma 1.0 optional /srv/security
mk epsilon 2.0 required /srv/security 'touch /var/run/reboot-required'
index /srv/main bookworm Local
index /srv/security bookworm-security Local-Security
rm -f /etc/apt/sources.list.d/*
printf 'deb [trusted=yes] file:/srv/main ./\ndeb [trusted=yes] file:/srv/security ./\n' > /etc/apt/sources.list
"""
OURS = {"alpha", "beta", "delta", "epsilon"}


def patched_container(make_container):
    box = make_container()
    result = box.exec_run(["/bin/sh", "-c", REPOS])
    assert result.exit_code == 0, result.output.decode()
    return box


def versions(box) -> dict[str, str]:
    out = box.exec_run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}\t${Package}\t${Version}\n"]).output.decode()
    rows = [line.split("\t") for line in out.splitlines()]
    return {name: version for status, name, version in rows if status.startswith("ii")}


def patch(ssm, instance_id: str, operation: str, **parameters) -> dict:
    sent = ssm.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunPatchBaseline",
                            Parameters={"Operation": [operation], **{k: [v] for k, v in parameters.items()}})
    found = wait_invocation(ssm, sent["Command"]["CommandId"], instance_id, timeout=300,
                            PluginName="PatchLinux")
    return found


def state(ssm, instance_id: str) -> dict:
    return ssm.describe_instance_patch_states(InstanceIds=[instance_id])["InstancePatchStates"][0]


def patches(ssm, instance_id: str, **kwargs) -> dict[str, dict]:
    out, token = {}, None
    while True:
        page = ssm.describe_instance_patches(InstanceId=instance_id, **kwargs, **({"NextToken": token} if token else {}))
        out.update({p["KBId"]: p for p in page["Patches"]})
        token = page.get("NextToken")
        if not token:
            return out


COUNTS = ("InstalledCount", "InstalledOtherCount", "InstalledPendingRebootCount", "InstalledRejectedCount",
          "MissingCount", "FailedCount", "NotApplicableCount", "UnreportedNotApplicableCount",
          "CriticalNonCompliantCount", "SecurityNonCompliantCount", "OtherNonCompliantCount")


def counts(found: dict) -> dict[str, int]:
    return {k: found[k] for k in COUNTS}


def only(**nonzero: int) -> dict[str, int]:
    """Every count, zero but those given."""
    return {**dict.fromkeys(COUNTS, 0), **nonzero}


def patch_compliance(ssm, instance_id: str) -> tuple[dict, dict[str, dict]]:
    summary = ssm.list_resource_compliance_summaries(Filters=[
        {"Key": "ComplianceType", "Values": ["Patch"]}, {"Key": "InstanceId", "Values": [instance_id]}])
    items, token = {}, None
    while True:
        page = ssm.list_compliance_items(ResourceIds=[instance_id], ResourceTypes=["ManagedInstance"],
                                         Filters=[{"Key": "ComplianceType", "Values": ["Patch"]}],
                                         **({"NextToken": token} if token else {}))
        items.update({i["Id"]: i for i in page["ComplianceItems"]})
        token = page.get("NextToken")
        if not token:
            break
    return summary["ResourceComplianceSummaryItems"][0], items


def test_scan_then_install_with_the_default_debian_baseline(ssm, server, make_container):
    box = patched_container(make_container)
    instance_id = register_container(server, box)
    others = len(versions(box)) - len(OURS)  # the image's own packages: installed, from no list

    scan = patch(ssm, instance_id, "Scan")
    assert scan["Status"] == "Success", scan
    assert "AWS-DebianDefaultPatchBaseline" in scan["StandardOutputContent"]
    assert {n: versions(box)[n] for n in OURS} == dict.fromkeys(OURS, "1.0")  # a Scan installs nothing
    found = state(ssm, instance_id)
    # Security updates of any priority are approved: beta, delta, epsilon; alpha 2.0 comes from a non-security list
    assert counts(found) == only(InstalledOtherCount=others + 1, MissingCount=3, NotApplicableCount=1,
                                 SecurityNonCompliantCount=3)
    assert (found["Operation"], found["BaselineId"], found["PatchGroup"]) == (
        "Scan", "arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-09a5f8eb62bde80b1", "")
    assert found["RebootOption"] == "RebootIfNeeded" and len(found["SnapshotId"]) == 36
    assert found["OperationStartTime"] <= found["OperationEndTime"]
    missing = patches(ssm, instance_id, Filters=[{"Key": "State", "Values": ["Missing"]}])
    assert sorted(missing) == ["beta.all", "delta.all", "epsilon.all"]
    assert missing["beta.all"]["Title"] == "beta.all:0:2.0" and missing["beta.all"]["State"] == "MISSING"
    assert missing["beta.all"]["Classification"] == "Security" and missing["beta.all"]["Severity"] == "Important"
    # DescribeAvailablePatches filters on the parts of a patch's title (name.arch:epoch:version-release) too
    def available(**wanted: str) -> list[str]:
        filters = [{"Key": k, "Values": [v]} for k, v in wanted.items()]
        return [p["Title"] for p in ssm.describe_available_patches(Filters=filters)["Patches"]]
    assert available(NAME="beta", ARCH="all", EPOCH="0", VERSION="2.0") == ["beta.all:0:2.0"]
    assert available(NAME="beta", ARCH="amd64") == [] and available(NAME="beta", CVE_ID="CVE-2018-3615") == []
    everything = patches(ssm, instance_id)
    assert everything["alpha.all"]["State"] == "INSTALLED_OTHER" and everything["alpha.all"]["Title"] == \
        "alpha.all:0:1.0"
    assert everything["gamma.all"]["State"] == "NOT_APPLICABLE"
    assert len(everything) == others + len(OURS) + 1
    summary, items = patch_compliance(ssm, instance_id)
    assert summary["Status"] == "NON_COMPLIANT" and summary["ExecutionSummary"]["ExecutionId"] == scan["CommandId"]
    assert summary["NonCompliantSummary"]["NonCompliantCount"] == 3
    assert items["delta.all"]["Status"] == "NON_COMPLIANT" and items["delta.all"]["Details"]["PatchState"] == "Missing"
    assert items["alpha.all"]["Status"] == "COMPLIANT" and "gamma.all" not in items
    assert items["beta.all"]["ExecutionSummary"]["ExecutionType"] == "Command"

    install = patch(ssm, instance_id, "Install", RebootOption="NoReboot")
    assert install["Status"] == "Success", install
    assert {n: versions(box)[n] for n in OURS} == {"alpha": "1.0", "beta": "2.0", "delta": "2.0", "epsilon": "2.0"}
    found = state(ssm, instance_id)
    # epsilon's install asked for a reboot: what this Install installed waits for it
    assert counts(found) == only(InstalledOtherCount=others + 1, InstalledPendingRebootCount=3,
                                 NotApplicableCount=1, SecurityNonCompliantCount=3)
    assert found["Operation"] == "Install" and found["RebootOption"] == "NoReboot"
    assert found["LastNoRebootInstallOperationTime"] >= found["OperationStartTime"]
    assert patch_compliance(ssm, instance_id)[0]["Status"] == "NON_COMPLIANT"

    # The machine reboots (here: the marker goes, as /run is emptied by a reboot); the next scan is compliant.
    assert box.exec_run(["rm", "-f", "/var/run/reboot-required"]).exit_code == 0
    rescan = patch(ssm, instance_id, "Scan")
    assert rescan["Status"] == "Success", rescan
    found = state(ssm, instance_id)
    assert (found["InstalledCount"], found["InstalledPendingRebootCount"], found["MissingCount"]) == (3, 0, 0)
    assert found["LastNoRebootInstallOperationTime"] < found["OperationStartTime"]  # kept from the Install
    summary, items = patch_compliance(ssm, instance_id)
    assert summary["Status"] == "COMPLIANT" and summary["ExecutionSummary"]["ExecutionId"] == rescan["CommandId"]
    assert items["beta.all"]["Title"] == "beta.all:0:2.0" and items["beta.all"]["Details"]["PatchState"] == "Installed"


def test_patch_group_baseline_with_rejected_patches_blocked(ssm, server, make_container):
    box = patched_container(make_container)
    instance_id = register_container(server, box, tags={"Patch Group": "web"})
    others = len(versions(box)) - len(OURS)
    baseline_id = ssm.create_patch_baseline(
        Name="web-all-updates", OperatingSystem="DEBIAN",
        ApprovalRules={"PatchRules": [{"PatchFilterGroup": {"PatchFilters": [{"Key": "PRIORITY", "Values": ["*"]}]},
                                       "ComplianceLevel": "CRITICAL", "EnableNonSecurity": True}]},
        RejectedPatches=["beta", "epsilon=2.0"], RejectedPatchesAction="BLOCK")["BaselineId"]
    ssm.register_patch_baseline_for_patch_group(BaselineId=baseline_id, PatchGroup="web")

    install = patch(ssm, instance_id, "Install")
    assert install["Status"] == "Success", install
    # non-security alpha is approved by EnableNonSecurity; beta (any version) and epsilon 2.0 are rejected
    assert {n: versions(box)[n] for n in OURS} == {"alpha": "2.0", "beta": "1.0", "delta": "2.0", "epsilon": "1.0"}
    found = state(ssm, instance_id)
    assert (found["BaselineId"], found["PatchGroup"]) == (baseline_id, "web")
    # everything installed is approved (PRIORITY * with non-security), except beta: rejected and BLOCK
    assert counts(found) == only(InstalledCount=others + 3, InstalledRejectedCount=1, NotApplicableCount=1,
                                 OtherNonCompliantCount=1)
    listed = patches(ssm, instance_id, Filters=[{"Key": "State", "Values": ["InstalledRejected"]}])
    assert list(listed) == ["beta.all"] and listed["beta.all"]["Title"] == "beta.all:0:1.0"
    summary, items = patch_compliance(ssm, instance_id)
    # a rejected patch has no compliance level of the baseline's: UNSPECIFIED decides the resource's severity
    assert summary["Status"] == "NON_COMPLIANT" and summary["OverallSeverity"] == "UNSPECIFIED"
    assert (items["beta.all"]["Severity"], items["beta.all"]["Status"]) == ("UNSPECIFIED", "NON_COMPLIANT")
    assert items["alpha.all"]["Severity"] == "CRITICAL" and items["alpha.all"]["Details"]["PatchGroup"] == "web"

    group = ssm.describe_patch_group_state(PatchGroup="web")
    assert (group["Instances"], group["InstancesWithInstalledRejectedPatches"],
            group["InstancesWithMissingPatches"]) == (1, 1, 0)

    def for_group(**f):
        return ssm.describe_instance_patch_states_for_patch_group(PatchGroup="web", Filters=[f])[
            "InstancePatchStates"]
    assert [s["InstanceId"] for s in for_group(Key="InstalledRejectedCount", Values=["0"], Type="GreaterThan")] == \
        [instance_id]
    assert for_group(Key="InstalledRejectedCount", Values=["1"], Type="LessThan") == []
    assert len(for_group(Key="MissingCount", Values=["0"], Type="Equal")) == 1
    assert for_group(Key="Operation", Values=["Install"], Type="NotEqual") == []
    assert error_of(ssm.describe_instance_patch_states_for_patch_group, PatchGroup="web",
                    Filters=[{"Key": "Colour", "Values": ["1"], "Type": "Equal"}])[0] == "InvalidFilter"


def test_allow_as_dependency_reports_an_installed_rejected_package_as_other(ssm, server, make_container):
    box = patched_container(make_container)
    instance_id = register_container(server, box)
    override = ssm.create_patch_baseline(Name="rejecting", OperatingSystem="DEBIAN", RejectedPatches=["beta"],
                                         ApprovalRules={"PatchRules": [{"PatchFilterGroup": {"PatchFilters": []}}]})
    ssm.register_default_patch_baseline(BaselineId=override["BaselineId"])
    try:
        scan = patch(ssm, instance_id, "Scan")
        assert scan["Status"] == "Success", scan
        everything = patches(ssm, instance_id)
        assert everything["beta.all"]["State"] == "INSTALLED_OTHER"  # rejected, installed, ALLOW_AS_DEPENDENCY
        assert sorted(k for k, p in everything.items() if p["State"] == "MISSING") == ["delta.all", "epsilon.all"]
    finally:
        ssm.register_default_patch_baseline(
            BaselineId="arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-09a5f8eb62bde80b1")


def test_baseline_override_and_snapshot(ssm, start_emulator, tmp_path, make_container):
    from conftest import make_client  # a server of its own: it reads the override from its S3 stand-in folder

    folder = tmp_path / "buckets"
    (folder / "patching").mkdir(parents=True)
    (folder / "patching" / "override.json").write_text(json.dumps([
        {"OperatingSystem": "WINDOWS", "ApprovedPatches": ["KB1"]},
        {"OperatingSystem": "DEBIAN", "ApprovedPatches": ["alpha"], "ApprovedPatchesEnableNonSecurity": True},
    ]))
    config = tmp_path / "config.toml"
    config.write_text(f'data_sync_dir = "{folder}"\n')
    own = start_emulator("--ephemeral", "--config", str(config))
    client = make_client(own.url)
    box = patched_container(make_container)
    instance_id = register_container(own, box)

    install = patch(client, instance_id, "Install", BaselineOverride="s3://patching/override.json")
    assert install["Status"] == "Success", install
    assert {n: versions(box)[n] for n in OURS} == {"alpha": "2.0", "beta": "1.0", "delta": "1.0", "epsilon": "1.0"}
    found = state(client, instance_id)
    assert (found["InstalledCount"], found["MissingCount"], found["NotApplicableCount"]) == (1, 0, 0)

    missing = patch(client, instance_id, "Scan", BaselineOverride="s3://patching/absent.json")
    assert missing["Status"] == "Failed" and "absent.json" in missing["StandardErrorContent"]

    snapshot = client.get_deployable_patch_snapshot_for_instance(
        InstanceId=instance_id, SnapshotId="6f0d8d4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f")
    assert snapshot["Product"] == "Debian12" and snapshot["SnapshotId"] == "6f0d8d4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"
    # a run with that snapshot uses the baseline it was taken with, even after the default changes
    mine = client.create_patch_baseline(Name="approve-alpha", OperatingSystem="DEBIAN", ApprovedPatches=["delta"],
                                        ApprovedPatchesEnableNonSecurity=True)["BaselineId"]
    client.register_default_patch_baseline(BaselineId=mine)
    scan = patch(client, instance_id, "Scan", SnapshotId="6f0d8d4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f")
    assert scan["Status"] == "Success", scan
    found = state(client, instance_id)
    assert found["BaselineId"].endswith("pb-09a5f8eb62bde80b1") and found["MissingCount"] == 3
    assert found["SnapshotId"] == "6f0d8d4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"


def test_a_machine_without_apt_fails_with_a_clear_message(ssm, server, make_container):
    from fixtures_instances import BUSYBOX_IMAGE

    box = make_container(BUSYBOX_IMAGE)
    instance_id = register_container(server, box)
    failed = patch(ssm, instance_id, "Scan")
    assert failed["Status"] == "Failed"
    assert "Debian, Ubuntu and Raspbian" in failed["StandardErrorContent"]
    assert ssm.describe_instance_patch_states(InstanceIds=[instance_id])["InstancePatchStates"] == []


def test_reboot_if_needed_restarts_the_container(ssm, server, make_container):
    box = patched_container(make_container)
    instance_id = register_container(server, box)
    started = box.attrs["State"]["StartedAt"]
    install = patch(ssm, instance_id, "Install")  # RebootIfNeeded, the default
    assert install["Status"] == "Success", install
    assert "Rebooted" in install["StandardOutputContent"]
    box.reload()
    assert box.attrs["State"]["StartedAt"] != started and box.status == "running"
    assert box.exec_run(["test", "-e", "/var/run/reboot-required"]).exit_code == 1
    found = state(ssm, instance_id)
    assert (found["InstalledCount"], found["InstalledPendingRebootCount"], found["MissingCount"]) == (3, 0, 0)
    assert "LastNoRebootInstallOperationTime" not in found
    assert patch_compliance(ssm, instance_id)[0]["Status"] == "COMPLIANT"


# omega 1.0 is installed; omega 2.0 (security) needs zeta, a package of its own; both only in /srv/extra, a
# repository the machine doesn't list (a baseline's Sources bring it in).
EXTRA = r"""
set -e
cd /tmp; mkdir -p /srv/extra /tmp/o1
mk() { # name version depends folder
  d=$(mktemp -d); mkdir -p $d/DEBIAN
  printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: T <t@example.com>\nPriority: optional\nSection: utils\nDescription: test %s\n' $1 $2 $1 > $d/DEBIAN/control
  [ -n "$3" ] && printf 'Depends: %s\n' "$3" >> $d/DEBIAN/control
  dpkg-deb --build $d $4/$1_$2_all.deb >/dev/null
}
mk omega 1.0 "" /tmp/o1 && dpkg -i /tmp/o1/omega_1.0_all.deb >/dev/null
mk omega 2.0 zeta /srv/extra
mk zeta 1.0 "" /srv/extra
cd /srv/extra; : > Packages
for f in *.deb; do dpkg-deb -f $f >> Packages; printf 'Filename: ./%s\nSize: %s\nSHA256: %s\n\n' $f $(stat -c %s $f) $(sha256sum $f | cut -d' ' -f1) >> Packages; done
printf 'Origin: Local\nLabel: Extra-Security\nSuite: bookworm-security\nCodename: bookworm-security\nSHA256:\n %s %s Packages\n' \
  $(sha256sum Packages | cut -d' ' -f1) $(stat -c %s Packages) > Release
"""


def test_install_override_list_sources_and_a_blocked_dependency(ssm, start_emulator, tmp_path, make_container):
    from conftest import make_client  # a server of its own: it reads the list from its S3 stand-in folder

    folder = tmp_path / "buckets"
    (folder / "patching").mkdir(parents=True)
    (folder / "patching" / "install.yaml").write_text(
        "patches:\n  - id: 'delta.all'\n    title: 'delta.all:0:2.0'\n  - id: 'alpha'\n  - id: 'om*'\n")
    (folder / "patching" / "broken.yaml").write_text("patches: [{title: no-id}]\n")
    config = tmp_path / "config.toml"
    config.write_text(f'data_sync_dir = "{folder}"\n')
    own = start_emulator("--ephemeral", "--config", str(config))
    client = make_client(own.url)
    box = patched_container(make_container)
    assert box.exec_run(["/bin/sh", "-c", EXTRA]).exit_code == 0
    instance_id = register_container(own, box)
    sources = "deb [trusted=yes] file:/srv/main ./\ndeb [trusted=yes] file:/srv/security ./\n" \
              "deb [trusted=yes] file:/srv/extra ./\n"
    baseline_id = client.create_patch_baseline(
        Name="extra", OperatingSystem="DEBIAN", RejectedPatches=["zeta"], RejectedPatchesAction="BLOCK",
        ApprovalRules={"PatchRules": [{"PatchFilterGroup": {"PatchFilters": [{"Key": "PRIORITY", "Values": ["*"]}]}}]},
        Sources=[{"Name": "with-extra", "Products": ["Debian12"], "Configuration": sources}])["BaselineId"]
    client.register_default_patch_baseline(BaselineId=baseline_id)

    scan = patch(client, instance_id, "Scan", InstallOverrideList="s3://patching/install.yaml")  # a Scan ignores it
    assert scan["Status"] == "Success", scan
    missing = patches(client, instance_id, Filters=[{"Key": "State", "Values": ["Missing"]}])
    assert sorted(missing) == ["beta.all", "delta.all", "epsilon.all", "omega.all"]  # omega: from the Sources
    assert box.exec_run(["/bin/sh", "-c", "ls /var/lib/apt/lists | grep -c extra"]).output.strip() == b"0"

    install = patch(client, instance_id, "Install", RebootOption="NoReboot",
                    InstallOverrideList="s3://patching/install.yaml")
    # the list, not the baseline, says what goes in: delta 2.0 and (unapproved) alpha; omega would pull in the
    # blocked zeta, so it fails
    assert install["Status"] == "Failed", install
    assert "omega: it needs zeta=1.0, which the baseline rejects (BLOCK)" in install["StandardErrorContent"]
    assert {n: versions(box)[n] for n in OURS | {"omega"}} == {
        "alpha": "2.0", "beta": "1.0", "delta": "2.0", "epsilon": "1.0", "omega": "1.0"}
    assert "zeta" not in versions(box)
    everything = patches(client, instance_id)
    assert (everything["alpha.all"]["State"], everything["delta.all"]["State"]) == ("INSTALLED_OTHER", "INSTALLED")
    assert (everything["omega.all"]["State"], everything["beta.all"]["State"]) == ("FAILED", "MISSING")

    broken = patch(client, instance_id, "Install", InstallOverrideList="s3://patching/broken.yaml")
    assert broken["Status"] == "Failed" and "`id`" in broken["StandardErrorContent"]
    online = patch(client, instance_id, "Install", InstallOverrideList="https://example.com/install.yaml")
    assert online["Status"] == "Failed" and "offline" in online["StandardErrorContent"]
