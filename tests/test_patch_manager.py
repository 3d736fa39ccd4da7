"""Patch Manager's baselines and patch groups against the real server: AWS's predefined baselines by ARN, custom
baselines created, read, updated (with and without Replace), listed with filters and pages, tagged and deleted;
defaults per operating system; patch groups; DescribePatchProperties; and the refusals AWS answers."""
from __future__ import annotations

from test_parameter_store import error_of
from test_run_command import server, ssm  # noqa: F401 (fixtures)

AWS = "arn:aws:ssm:us-east-1:075727635805:patchbaseline/"
DEBIAN_DEFAULT = AWS + "pb-09a5f8eb62bde80b1"
SECURITY_RULES = {"PatchRules": [{"PatchFilterGroup": {"PatchFilters": [{"Key": "PRIORITY", "Values": ["Required"]}]},
                                  "ComplianceLevel": "HIGH"}]}


def create(ssm, name: str, os_: str = "DEBIAN", **kwargs) -> str:
    return ssm.create_patch_baseline(Name=name, OperatingSystem=os_, **kwargs)["BaselineId"]


def test_predefined_baselines_are_addressed_by_arn_and_are_the_defaults(ssm):
    assert ssm.get_default_patch_baseline(OperatingSystem="DEBIAN")["BaselineId"] == DEBIAN_DEFAULT
    assert ssm.get_default_patch_baseline()["BaselineId"] == AWS + "pb-09ca3fb51f0412ec3"  # Windows when none given
    got = ssm.get_patch_baseline(BaselineId=DEBIAN_DEFAULT)
    assert got["Name"] == "AWS-DebianDefaultPatchBaseline" and got["OperatingSystem"] == "DEBIAN"
    assert got["Description"] == "Default Patch Baseline for Debian Provided by AWS."
    rule = got["ApprovalRules"]["PatchRules"][0]
    assert rule["PatchFilterGroup"]["PatchFilters"] == [
        {"Key": "PRODUCT", "Values": ["*"]},
        {"Key": "PRIORITY", "Values": ["Required", "Important", "Standard", "Optional", "Extra"]}]
    assert rule["EnableNonSecurity"] is False and rule["ComplianceLevel"] == "UNSPECIFIED"
    assert got["RejectedPatchesAction"] == "ALLOW_AS_DEPENDENCY"
    # AWS's baselines must be given as their ARN
    assert error_of(ssm.get_patch_baseline, BaselineId="pb-09a5f8eb62bde80b1")[0] == "DoesNotExistException"
    names = {b["BaselineName"]: b for b in ssm.describe_patch_baselines(
        Filters=[{"Key": "OWNER", "Values": ["AWS"]}])["BaselineIdentities"]}
    assert {"AWS-DefaultPatchBaseline", "AWS-UbuntuDefaultPatchBaseline", "AWS-DebianDefaultPatchBaseline",
            "AWS-AmazonLinux2DefaultPatchBaseline"} <= set(names)
    assert names["AWS-UbuntuDefaultPatchBaseline"]["BaselineId"] == AWS + "pb-0c7e89f711c3095f4"
    assert all(b["DefaultBaseline"] for b in names.values())


def test_custom_baseline_lifecycle(ssm):
    bid = create(ssm, "web-debian", ApprovalRules=SECURITY_RULES, RejectedPatches=["openssl=3.0.1-1"],
                 RejectedPatchesAction="BLOCK", Description="web servers", Tags=[{"Key": "team", "Value": "web"}])
    assert bid.startswith("pb-") and len(bid) == 20
    got = ssm.get_patch_baseline(BaselineId=bid)
    assert got["ApprovalRules"] == SECURITY_RULES
    assert (got["RejectedPatches"], got["RejectedPatchesAction"], got["ApprovedPatches"]) == (
        ["openssl=3.0.1-1"], "BLOCK", [])
    assert got["ApprovedPatchesComplianceLevel"] == "UNSPECIFIED" and got["PatchGroups"] == []
    assert got["CreatedDate"] == got["ModifiedDate"]
    assert ssm.list_tags_for_resource(ResourceType="PatchBaseline", ResourceId=bid)["TagList"] == [
        {"Key": "team", "Value": "web"}]

    # without Replace, members not given are kept
    updated = ssm.update_patch_baseline(BaselineId=bid, ApprovedPatches=["curl"])
    assert updated["RejectedPatches"] == ["openssl=3.0.1-1"] and updated["ApprovedPatches"] == ["curl"]
    assert updated["Description"] == "web servers" and updated["ModifiedDate"] >= updated["CreatedDate"]
    # with Replace, they are reset
    replaced = ssm.update_patch_baseline(BaselineId=bid, Name="web-debian-2", Replace=True)
    assert replaced["Name"] == "web-debian-2" and replaced["OperatingSystem"] == "DEBIAN"
    assert (replaced["RejectedPatches"], replaced["ApprovedPatches"], replaced.get("Description")) == ([], [], None)
    assert replaced["ApprovalRules"] == {"PatchRules": []}
    assert error_of(ssm.update_patch_baseline, BaselineId=bid, Replace=True)[0] == "ValidationException"

    assert ssm.delete_patch_baseline(BaselineId=bid)["BaselineId"] == bid
    assert error_of(ssm.get_patch_baseline, BaselineId=bid)[0] == "DoesNotExistException"
    assert ssm.delete_patch_baseline(BaselineId=bid)["BaselineId"] == bid  # deleting again succeeds, as on AWS
    assert error_of(ssm.list_tags_for_resource, ResourceType="PatchBaseline", ResourceId=bid)[0] == "InvalidResourceId"


def test_baseline_refusals(ssm):
    code, message = error_of(ssm.create_patch_baseline, Name="bad", OperatingSystem="DEBIAN",
                             ApprovalRules={"PatchRules": [{"PatchFilterGroup": {"PatchFilters": [
                                 {"Key": "MSRC_SEVERITY", "Values": ["Critical"]}]}}]})
    assert code == "ValidationException" and "MSRC_SEVERITY" in message
    code, message = error_of(ssm.create_patch_baseline, Name="bad", OperatingSystem="AMAZON_LINUX_2",
                             ApprovalRules={"PatchRules": [{"PatchFilterGroup": {"PatchFilters": [
                                 {"Key": "CLASSIFICATION", "Values": ["Security"]}]}}]})
    assert code == "ValidationException" and "ApproveAfterDays" in message
    assert error_of(ssm.create_patch_baseline, Name="bad", OperatingSystem="AMAZON_LINUX_2",
                    ApprovalRules={"PatchRules": [{"PatchFilterGroup": {"PatchFilters": []},
                                                   "ApproveUntilDate": "31/12/2024"}]})[0] == "ValidationException"
    assert error_of(ssm.get_patch_baseline, BaselineId="pb-0123456789abcdef0")[0] == "DoesNotExistException"
    assert error_of(ssm.get_patch_baseline, BaselineId="not-a-baseline-id-xx")[0] == "InvalidResourceId"
    assert error_of(ssm.update_patch_baseline, BaselineId=DEBIAN_DEFAULT, Description="x")[0] == "InvalidResourceId"
    assert error_of(ssm.describe_patch_baselines, Filters=[{"Key": "COLOUR", "Values": ["x"]}])[0] == \
        "ValidationException"
    assert error_of(ssm.describe_patch_baselines, NextToken="garbage")[0] == "InvalidNextToken"
    # ClientToken: the same request again answers the same baseline; other parameters are refused
    first = create(ssm, "tokened", ClientToken="token-1")
    assert create(ssm, "tokened", ClientToken="token-1") == first
    assert error_of(ssm.create_patch_baseline, Name="other", OperatingSystem="DEBIAN",
                    ClientToken="token-1")[0] == "IdempotentParameterMismatch"


def test_describe_patch_baselines_filters_and_pages(ssm):
    ids = {create(ssm, f"team-{n}") for n in range(5)} | {create(ssm, "other-ubuntu", "UBUNTU")}
    own = ssm.describe_patch_baselines(Filters=[{"Key": "OWNER", "Values": ["Self"]}])["BaselineIdentities"]
    assert {b["BaselineId"] for b in own} == ids and not any(b["DefaultBaseline"] for b in own)
    paged, token, pages = [], None, 0
    while True:
        page = ssm.describe_patch_baselines(Filters=[{"Key": "NAME_PREFIX", "Values": ["team-"]}], MaxResults=2,
                                            **({"NextToken": token} if token else {}))
        pages += 1
        paged += [b["BaselineName"] for b in page["BaselineIdentities"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(paged) == [f"team-{n}" for n in range(5)] and pages == 3
    ubuntu = ssm.describe_patch_baselines(Filters=[{"Key": "OPERATING_SYSTEM", "Values": ["UBUNTU"]}])
    assert {b["BaselineName"] for b in ubuntu["BaselineIdentities"]} == {"other-ubuntu",
                                                                         "AWS-UbuntuDefaultPatchBaseline"}


def test_defaults_and_patch_groups(ssm):
    mine = create(ssm, "my-debian")
    other = create(ssm, "other-debian")
    assert ssm.register_default_patch_baseline(BaselineId=mine)["BaselineId"] == mine
    assert ssm.get_default_patch_baseline(OperatingSystem="DEBIAN")["BaselineId"] == mine
    code, _ = error_of(ssm.delete_patch_baseline, BaselineId=mine)
    assert code == "ResourceInUseException"
    listed = {b["BaselineId"]: b for b in ssm.describe_patch_baselines(
        Filters=[{"Key": "OPERATING_SYSTEM", "Values": ["DEBIAN"]}])["BaselineIdentities"]}
    assert listed[mine]["DefaultBaseline"] and not listed[DEBIAN_DEFAULT]["DefaultBaseline"]

    assert ssm.register_patch_baseline_for_patch_group(BaselineId=other, PatchGroup="web")["PatchGroup"] == "web"
    assert error_of(ssm.register_patch_baseline_for_patch_group, BaselineId=mine, PatchGroup="web")[0] == \
        "AlreadyExistsException"
    found = ssm.get_patch_baseline_for_patch_group(PatchGroup="web", OperatingSystem="DEBIAN")
    assert (found["BaselineId"], found["OperatingSystem"]) == (other, "DEBIAN")
    # a group without a baseline for this operating system gets the default
    assert ssm.get_patch_baseline_for_patch_group(PatchGroup="db", OperatingSystem="DEBIAN")["BaselineId"] == mine
    assert ssm.get_patch_baseline(BaselineId=other)["PatchGroups"] == ["web"]
    groups = ssm.describe_patch_groups()["Mappings"]
    assert [(g["PatchGroup"], g["BaselineIdentity"]["BaselineId"]) for g in groups] == [("web", other)]
    assert ssm.describe_patch_groups(Filters=[{"Key": "NAME_PREFIX", "Values": ["x"]}])["Mappings"] == []
    assert error_of(ssm.delete_patch_baseline, BaselineId=other)[0] == "ResourceInUseException"
    ssm.deregister_patch_baseline_for_patch_group(BaselineId=other, PatchGroup="web")
    assert error_of(ssm.deregister_patch_baseline_for_patch_group, BaselineId=other, PatchGroup="web")[0] == \
        "InvalidResourceId"
    ssm.delete_patch_baseline(BaselineId=other)
    ssm.register_default_patch_baseline(BaselineId=DEBIAN_DEFAULT)
    ssm.delete_patch_baseline(BaselineId=mine)


def test_patch_properties(ssm):
    found = ssm.describe_patch_properties(OperatingSystem="DEBIAN", Property="PRIORITY")["Properties"]
    assert [p["Name"] for p in found] == ["Required", "Important", "Standard", "Optional", "Extra"]
    first = ssm.describe_patch_properties(OperatingSystem="UBUNTU", Property="PRODUCT", MaxResults=2)
    assert len(first["Properties"]) == 2 and first["NextToken"]
    rest = ssm.describe_patch_properties(OperatingSystem="UBUNTU", Property="PRODUCT", NextToken=first["NextToken"])
    assert {"Ubuntu22.04", "Ubuntu24.04"} <= {p["Name"] for p in rest["Properties"]}
    assert error_of(ssm.describe_patch_properties, OperatingSystem="DEBIAN", Property="CLASSIFICATION")[0] == \
        "ValidationException"
    assert error_of(ssm.describe_effective_patches_for_patch_baseline, BaselineId=DEBIAN_DEFAULT)[0] == \
        "UnsupportedOperatingSystem"


def test_available_patches_take_every_key_aws_lists(ssm):
    """DescribeAvailablePatches takes the keys its reference lists for Windows Server (PATCH_SET, PRODUCT,
    PRODUCT_FAMILY, MSRC_SEVERITY, CLASSIFICATION, PATCH_ID) and Linux (PRODUCT, NAME, SEVERITY, EPOCH, VERSION,
    RELEASE, ARCH, REPOSITORY, ADVISORY_ID, CVE_ID, BUGZILLA_ID)."""
    keys = ("PATCH_SET", "PRODUCT_FAMILY", "MSRC_SEVERITY", "PATCH_ID", "EPOCH", "VERSION", "RELEASE", "ARCH",
            "REPOSITORY", "ADVISORY_ID", "CVE_ID", "BUGZILLA_ID")
    for key in keys:
        found = ssm.describe_available_patches(Filters=[{"Key": "PRODUCT", "Values": ["AmazonLinux2"]},
                                                        {"Key": key, "Values": ["x"]}])
        assert found["Patches"] == [], key
    assert error_of(ssm.describe_available_patches, Filters=[{"Key": "OWNER", "Values": ["x"]}])[0] == \
        "ValidationException"
