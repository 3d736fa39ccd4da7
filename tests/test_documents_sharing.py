"""Documents: sharing with accounts and publicly (ModifyDocumentPermission,
DescribeDocumentPermission), reading shared documents by ARN, listing them by Owner."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

OWNER = "123456789012"
FRIEND = "111122223333"
STRANGER = "999988887777"
ARN = f"arn:aws:ssm:us-east-1:{OWNER}:document/shared-doc"
NOT_FOUND = ("InvalidDocument", "No matching value was found for Name.")


def error_of(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    err = info.value.response["Error"]
    return err["Code"], err["Message"]


def doc(message: str) -> str:
    return json.dumps({
        "schemaVersion": "2.2",
        "description": message,
        "mainSteps": [{"action": "aws:runShellScript", "name": "run", "inputs": {"runCommand": [f"echo {message}"]}}],
    })


@pytest.fixture
def clients(client_factory):
    return (client_factory(), client_factory(access_key=FRIEND), client_factory(access_key=STRANGER))


def owned(ssm, name: str = "shared-doc") -> None:
    ssm.create_document(Name=name, Content=doc("v1"), DocumentType="Command", Tags=[{"Key": "k", "Value": "v"}])
    ssm.update_document(Name=name, Content=doc("v2"))


def share(ssm, *accounts: str, version: str | None = None, name: str = "shared-doc") -> None:
    kwargs = {"SharedDocumentVersion": version} if version else {}
    ssm.modify_document_permission(Name=name, PermissionType="Share", AccountIdsToAdd=list(accounts), **kwargs)


def test_share_with_an_account(clients):
    owner, friend, stranger = clients
    owned(owner)
    assert error_of(friend.describe_document, Name=ARN) == NOT_FOUND
    share(owner, FRIEND)
    perm = owner.describe_document_permission(Name="shared-doc", PermissionType="Share")
    assert perm["AccountIds"] == [FRIEND]
    assert perm["AccountSharingInfoList"] == [{"AccountId": FRIEND, "SharedDocumentVersion": "$DEFAULT"}]
    d = friend.describe_document(Name=ARN)["Document"]
    assert (d["Name"], d["Owner"], d["DocumentVersion"], d["Description"]) == ("shared-doc", OWNER, "1", "v1")
    assert d["Tags"] == []  # the owner's tags are the owner's
    assert json.loads(friend.get_document(Name=ARN)["Content"])["description"] == "v1"
    # $DEFAULT shares the default version only
    assert error_of(friend.get_document, Name=ARN, DocumentVersion="2")[0] == "InvalidDocumentVersion"
    assert [v["DocumentVersion"] for v in friend.list_document_versions(Name=ARN)["DocumentVersions"]] == ["1"]
    # only by ARN: the plain name is the caller's own namespace
    assert error_of(friend.get_document, Name="shared-doc") == NOT_FOUND
    assert error_of(stranger.get_document, Name=ARN) == NOT_FOUND
    # the sharee can't change or re-share it
    assert error_of(friend.update_document, Name="shared-doc", Content=doc("x")) == NOT_FOUND


def test_shared_version_latest_and_all(clients):
    owner, friend, _ = clients
    owned(owner)
    share(owner, FRIEND, version="$LATEST")
    assert friend.describe_document(Name=ARN)["Document"]["DocumentVersion"] == "2"
    assert error_of(friend.get_document, Name=ARN, DocumentVersion="1")[0] == "InvalidDocumentVersion"
    share(owner, FRIEND, version="$ALL")
    assert friend.get_document(Name=ARN, DocumentVersion="1")["DocumentVersion"] == "1"
    assert friend.get_document(Name=ARN, DocumentVersion="$LATEST")["DocumentVersion"] == "2"
    assert len(friend.list_document_versions(Name=ARN)["DocumentVersions"]) == 2
    perm = owner.describe_document_permission(Name="shared-doc", PermissionType="Share")
    assert perm["AccountSharingInfoList"] == [{"AccountId": FRIEND, "SharedDocumentVersion": "$ALL"}]


def test_unshare(clients):
    owner, friend, _ = clients
    owned(owner)
    share(owner, FRIEND, STRANGER)
    owner.modify_document_permission(Name="shared-doc", PermissionType="Share", AccountIdsToRemove=[FRIEND])
    assert owner.describe_document_permission(Name="shared-doc", PermissionType="Share")["AccountIds"] == [STRANGER]
    assert error_of(friend.get_document, Name=ARN) == NOT_FOUND


def test_removing_wins_over_adding_the_same_account(clients):
    # "AccountIdsToRemove ... has a higher priority than AccountIdsToAdd. If you specify an ID to add and the
    # same ID to remove, the system removes access to the document." (ModifyDocumentPermission reference)
    owner, friend, _ = clients
    owned(owner)
    share(owner, FRIEND)
    owner.modify_document_permission(Name="shared-doc", PermissionType="Share",
                                      AccountIdsToAdd=[FRIEND, STRANGER], AccountIdsToRemove=[FRIEND])
    assert owner.describe_document_permission(Name="shared-doc", PermissionType="Share")["AccountIds"] == [STRANGER]
    assert error_of(friend.get_document, Name=ARN) == NOT_FOUND
    owner.modify_document_permission(Name="shared-doc", PermissionType="Share",
                                      AccountIdsToAdd=["All"], AccountIdsToRemove=["all"])
    assert owner.describe_document_permission(Name="shared-doc", PermissionType="Share")["AccountIds"] == [STRANGER]


def test_public_sharing(clients):
    owner, friend, stranger = clients
    owned(owner)
    share(owner, "All")
    assert owner.describe_document_permission(Name="shared-doc", PermissionType="Share")["AccountIds"] == ["all"]
    for reader in (friend, stranger):
        assert reader.get_document(Name=ARN)["Name"] == "shared-doc"
    listed = stranger.list_documents(Filters=[{"Key": "Owner", "Values": ["Public"]}])["DocumentIdentifiers"]
    assert [(i["Name"], i["Owner"]) for i in listed] == [("shared-doc", OWNER)]
    # the owner's own public document is listed as its own, not as a public one
    assert owner.list_documents(Filters=[{"Key": "Owner", "Values": ["Public"]}])["DocumentIdentifiers"] == []
    owner.modify_document_permission(Name="shared-doc", PermissionType="Share", AccountIdsToRemove=["all"])
    assert error_of(stranger.get_document, Name=ARN) == NOT_FOUND


def test_sharing_is_per_region(client_factory):
    owner = client_factory()
    owned(owner)
    share(owner, FRIEND)
    friend_elsewhere = client_factory(access_key=FRIEND, region="eu-west-1")
    assert error_of(friend_elsewhere.get_document, Name=ARN) == NOT_FOUND
    assert error_of(friend_elsewhere.get_document, Name=ARN.replace("us-east-1", "eu-west-1")) == NOT_FOUND


def test_owner_filters_in_listings(clients):
    owner, friend, stranger = clients
    owned(owner)
    owned(owner, "public-doc")
    share(owner, FRIEND)
    share(owner, "all", name="public-doc")
    friend.create_document(Name="friends-own", Content=doc("mine"), DocumentType="Command")

    def names(client, owner_value):
        out = []
        for page in client.get_paginator("list_documents").paginate(Filters=[{"Key": "Owner", "Values": [owner_value]}]):
            out += [(i["Name"], i["Owner"]) for i in page["DocumentIdentifiers"]]
        return out

    assert names(friend, "Self") == [("friends-own", FRIEND)]
    assert names(friend, "Private") == [("shared-doc", OWNER)]
    assert names(friend, "Public") == [("public-doc", OWNER)]
    everything = names(friend, "All")
    assert {("friends-own", FRIEND), ("shared-doc", OWNER), ("public-doc", OWNER), ("AWS-RunShellScript", "Amazon")} <= set(everything)
    assert names(stranger, "Private") == []
    assert names(friend, "ThirdParty") == []
    assert names(owner, "Self") == [("public-doc", OWNER), ("shared-doc", OWNER)]
    # without an Owner filter: everything the caller can see
    default = []
    for page in friend.get_paginator("list_documents").paginate():
        default += [(i["Name"], i["Owner"]) for i in page["DocumentIdentifiers"]]
    assert default == everything


def test_shared_document_cannot_be_deleted(clients):
    owner, _, _ = clients
    owned(owner)
    share(owner, FRIEND)
    code, message = error_of(owner.delete_document, Name="shared-doc")
    assert (code, message) == ("InvalidDocumentOperation", "You must stop sharing the document before you can delete it.")
    owner.modify_document_permission(Name="shared-doc", PermissionType="Share", AccountIdsToRemove=[FRIEND])
    owner.delete_document(Name="shared-doc")


def test_permission_errors(clients):
    owner, friend, _ = clients
    owned(owner)
    code, message = error_of(owner.modify_document_permission, Name="shared-doc", PermissionType="Share",
                             AccountIdsToAdd=["all", FRIEND])
    assert (code, message) == ("InvalidPermissionType", "Accounts can either be all or a group of AWS accounts")
    assert error_of(owner.describe_document_permission, Name="nope-doc", PermissionType="Share") == NOT_FOUND
    assert error_of(friend.describe_document_permission, Name="shared-doc", PermissionType="Share") == NOT_FOUND
    assert error_of(owner.modify_document_permission, Name="nope-doc", PermissionType="Share",
                    AccountIdsToAdd=[FRIEND]) == NOT_FOUND


def test_at_most_five_public_documents(client_factory):
    owner = client_factory()
    for i in range(6):
        owner.create_document(Name=f"pub-{i}", Content=doc(str(i)), DocumentType="Command")
    for i in range(5):
        share(owner, "all", name=f"pub-{i}")
    code, _ = error_of(share, owner, "all", name="pub-5")
    assert code == "DocumentLimitExceeded"
    share(owner, "all", name="pub-0")  # re-sharing a public one is no new public document


def test_describe_permission_pages(client_factory):
    owner = client_factory()
    owned(owner)
    accounts = [f"1000000000{i:02d}" for i in range(25)]
    share(owner, *accounts[:20])
    share(owner, *accounts[20:], version="$LATEST")
    seen, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = owner.describe_document_permission(Name="shared-doc", PermissionType="Share", MaxResults=10, **kwargs)
        seen += page["AccountIds"]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == accounts
    last = owner.describe_document_permission(Name="shared-doc", PermissionType="Share")["AccountSharingInfoList"][-1]
    assert last == {"AccountId": accounts[-1], "SharedDocumentVersion": "$LATEST"}
