"""AWS-RunPatchBaseline for real through dnf: containers of the dnf test image (Debian's dnf, rpm and createrepo_c)
dressed as Rocky Linux 9 (their os-release), with a local RPM repository built in the container (no network) and
an updateinfo that makes beta 2.0 a security update (Important), delta 2.0 a bugfix, epsilon 2.0 a security
update of Low severity and gamma 1.0 (not installed) a Critical one; alpha 2.0 has no advisory. Version 1.0 of
alpha, beta, delta and epsilon is installed."""
from __future__ import annotations

from fixtures_instances import DNF_IMAGE
from test_patch_manager_runs import counts, only, patch, patch_compliance, patches, state
from test_run_command import register_container, server, ssm  # noqa: F401 (fixtures)

ROCKY = 'NAME="Rocky Linux"\nID=rocky\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\n' \
        'PRETTY_NAME="Rocky Linux 9.3 (ssm-emulator test: dnf on Debian)"\n'
ADVISORY = """  <update from="t@example.com" status="stable" type="$2" version="1">
    <id>$1</id><title>$3 update</title><issued date="2024-01-0$5 00:00:00"/><severity>$4</severity>
    <description>fix</description>
    <references><reference href="https://example.com/$1" id="CVE-2024-000$5" type="cve"/></references>
    <pkglist><collection short="t"><name>t</name>
      <package name="$3" version="$6" release="1" epoch="0" arch="noarch"><filename>$3-$6-1.noarch.rpm</filename></package>
    </collection></pkglist>
  </update>
"""
REPO = r"""
set -e
rm -f /etc/os-release; printf '%s' "$ROCKY" > /etc/os-release
mkrpm() { # name version folder [requires]
  top=$(mktemp -d); mkdir -p $top/SPECS
  { printf 'Name: %s\nVersion: %s\nRelease: 1\nSummary: test %s\nLicense: MIT\nBuildArch: noarch\n' $1 $2 $1
    [ -n "$4" ] && printf 'Requires: %s\n' "$4"
    printf '%%description\ntest\n%%install\nmkdir -p %%{buildroot}/usr/share/%s\necho %s > %%{buildroot}/usr/share/%s/v\n' $1 $2 $1
    printf '%%files\n/usr/share/%s/v\n' $1; } > $top/SPECS/p.spec
  rpmbuild -bb --define "_topdir $top" --define "_rpmdir $3" \
    --define '_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm' $top/SPECS/p.spec >/dev/null 2>&1
  rm -rf $top
}
advisory() { # id type name severity day version
  cat <<EOF
@ADVISORY@EOF
}
mkdir -p /srv/rpm /tmp/v1 /etc/yum.repos.d
for p in alpha beta delta epsilon; do mkrpm $p 1.0 /tmp/v1; done
rpm -i --nodeps /tmp/v1/*.rpm 2>/dev/null
for p in alpha beta delta epsilon; do mkrpm $p 2.0 /srv/rpm; done
mkrpm gamma 1.0 /srv/rpm
mkrpm zeta 1.0 /srv/rpm
mkrpm omega 1.0 /tmp/v1; rpm -i --nodeps /tmp/v1/omega-1.0-1.noarch.rpm 2>/dev/null
mkrpm omega 2.0 /srv/rpm zeta
createrepo_c -q /srv/rpm
{ echo '<?xml version="1.0" encoding="UTF-8"?><updates>'
  advisory TEST-1 security beta Important 1 2.0
  advisory TEST-2 bugfix delta Moderate 2 2.0
  advisory TEST-3 security epsilon Low 3 2.0
  advisory TEST-4 security gamma Critical 4 1.0
  advisory TEST-5 security omega Critical 5 2.0
  echo '</updates>'; } > /tmp/updateinfo.xml
modifyrepo_c --mdtype=updateinfo /tmp/updateinfo.xml /srv/rpm/repodata >/dev/null
printf '[local]\nname=local\nbaseurl=file:///srv/rpm\ngpgcheck=0\nenabled=1\n' > /etc/yum.repos.d/local.repo
""".replace("@ADVISORY@", ADVISORY)
OURS = ("alpha", "beta", "delta", "epsilon", "omega")


def rocky_container(make_container):
    box = make_container(DNF_IMAGE)
    result = box.exec_run(["/bin/sh", "-c", REPO], environment={"ROCKY": ROCKY})
    assert result.exit_code == 0, result.output.decode()
    return box


def versions(box) -> dict[str, str]:
    out = box.exec_run(["rpm", "-qa", "--qf", "%{NAME}\t%{VERSION}-%{RELEASE}\n"]).output.decode()
    return dict(line.split("\t") for line in out.splitlines())


def test_scan_then_install_with_the_default_rocky_baseline(ssm, server, make_container):
    box = rocky_container(make_container)
    instance_id = register_container(server, box)

    scan = patch(ssm, instance_id, "Scan")
    assert scan["Status"] == "Success", scan
    assert "AWS-RockyLinuxDefaultPatchBaseline" in scan["StandardOutputContent"]
    assert "through dnf" in scan["StandardOutputContent"]
    assert {n: versions(box)[n] for n in OURS} == dict.fromkeys(OURS, "1.0-1")  # a Scan installs nothing
    found = state(ssm, instance_id)
    # Security Critical/Important and Bugfix: beta, delta, omega; epsilon (Low) and alpha (no advisory) aren't.
    # gamma (Critical) isn't installed: dnf relates advisories to installed packages only, so it has none here
    assert counts(found) == only(InstalledOtherCount=2, MissingCount=3,
                                 SecurityNonCompliantCount=2, OtherNonCompliantCount=1)
    assert found["BaselineId"].endswith("pb-03ec98bc512aa3ac0")
    missing = patches(ssm, instance_id, Filters=[{"Key": "State", "Values": ["Missing"]}])
    assert sorted(missing) == ["beta.noarch", "delta.noarch", "omega.noarch"]
    assert missing["beta.noarch"]["Title"] == "beta.noarch:0:2.0-1"
    assert (missing["beta.noarch"]["Classification"], missing["beta.noarch"]["Severity"]) == ("Security", "Important")
    assert (missing["delta.noarch"]["Classification"], missing["delta.noarch"]["Severity"]) == ("Bugfix", "Moderate")
    # DescribeAvailablePatches filters on and shows a package's advisory and its CVEs
    [beta] = ssm.describe_available_patches(Filters=[{"Key": "CVE_ID", "Values": ["CVE-2024-0001"]}])["Patches"]
    assert (beta["Title"], beta["AdvisoryIds"], beta["CVEIds"]) == ("beta.noarch:0:2.0-1", ["TEST-1"], ["CVE-2024-0001"])
    assert [p["Title"] for p in ssm.describe_available_patches(Filters=[
        {"Key": "ADVISORY_ID", "Values": ["TEST-2"]}, {"Key": "RELEASE", "Values": ["1"]}])["Patches"]] == [
        "delta.noarch:0:2.0-1"]
    everything = patches(ssm, instance_id)
    assert everything["alpha.noarch"]["State"] == "INSTALLED_OTHER" and everything["alpha.noarch"]["Title"] == \
        "alpha.noarch:0:1.0-1"
    assert "gamma.noarch" not in everything
    summary, items = patch_compliance(ssm, instance_id)
    assert summary["Status"] == "NON_COMPLIANT" and summary["NonCompliantSummary"]["NonCompliantCount"] == 3
    assert items["beta.noarch"]["Details"]["PatchState"] == "Missing"

    install = patch(ssm, instance_id, "Install", RebootOption="NoReboot")
    assert install["Status"] == "Success", install
    assert {n: versions(box)[n] for n in OURS} == {
        "alpha": "1.0-1", "beta": "2.0-1", "delta": "2.0-1", "epsilon": "1.0-1", "omega": "2.0-1"}
    assert versions(box)["zeta"] == "1.0-1"  # omega 2.0 needs it
    found = state(ssm, instance_id)
    assert counts(found) == only(InstalledCount=3, InstalledOtherCount=3)
    assert patch_compliance(ssm, instance_id)[0]["Status"] == "COMPLIANT"


def test_sources_and_blocked_dependencies(ssm, server, make_container):
    box = rocky_container(make_container)
    # The machine's own repository offers nothing new; the baseline's Sources point at the updates.
    assert box.exec_run(["/bin/sh", "-c", "mkdir -p /srv/empty && createrepo_c -q /srv/empty && "
                                          "sed -i 's#/srv/rpm#/srv/empty#' /etc/yum.repos.d/local.repo"]).exit_code == 0
    instance_id = register_container(server, box, tags={"Patch Group": "rocky"})
    rule = {"PatchFilterGroup": {"PatchFilters": [{"Key": "CLASSIFICATION", "Values": ["*"]}]},
            "ApproveAfterDays": 0, "EnableNonSecurity": True}
    baseline_id = ssm.create_patch_baseline(
        Name="rocky-sources", OperatingSystem="ROCKY_LINUX", ApprovalRules={"PatchRules": [rule]},
        RejectedPatches=["zeta"], RejectedPatchesAction="BLOCK",
        Sources=[{"Name": "elsewhere", "Products": ["RockyLinux8"],
                  "Configuration": "[x]\nname=x\nbaseurl=file:///nonexistent\ngpgcheck=0\n"},
                 {"Name": "updates", "Products": ["RockyLinux9"],
                  "Configuration": "[updates]\nname=updates\nbaseurl=file:///srv/rpm\ngpgcheck=0\nenabled=1\n"}],
    )["BaselineId"]
    ssm.register_patch_baseline_for_patch_group(BaselineId=baseline_id, PatchGroup="rocky")

    install = patch(ssm, instance_id, "Install", RebootOption="NoReboot")
    # omega 2.0 needs zeta, which the baseline rejects with BLOCK: omega's install fails, the others go in
    assert install["Status"] == "Failed", install
    assert "Sources" in install["StandardErrorContent"] and "omega: dnf left it out" in install["StandardErrorContent"]
    assert {n: versions(box)[n] for n in OURS} == dict.fromkeys(OURS, "2.0-1") | {"omega": "1.0-1"}
    assert "zeta" not in versions(box)
    found = state(ssm, instance_id)
    assert (found["InstalledCount"], found["FailedCount"], found["MissingCount"]) == (4, 1, 0)
    assert found["NotApplicableCount"] == 1  # gamma: approved (any classification, even none), not installed
    # the machine's repositories are its own again, and the operation's folder is gone
    assert "/srv/empty" in box.exec_run(["cat", "/etc/yum.repos.d/local.repo"]).output.decode()
    assert box.exec_run(["/bin/sh", "-c", "ls -d /tmp/ssm-emulator-patch-sources-*"]).exit_code != 0
