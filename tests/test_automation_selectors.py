"""Runbook selectors (emulator.automation.selectors): the JSONPath subset AWS documents for step outputs,
PropertySelector and Selector."""
from __future__ import annotations

import pytest

from emulator.automation.selectors import NoMatch, SelectorError, is_definite, select, select_all

RESPONSE = {
    "Parameter": {"Name": "/app/db", "Value": "db.internal", "Version": 3, "Weird.Key": True},
    "Parameters": [{"Name": "/a", "Value": "1"}, {"Name": "/b", "Value": "2"}],
    "Reservations": [
        {"Instances": [{"InstanceId": "i-1", "State": {"Name": "running"}}, {"InstanceId": "i-2"}]},
        {"Instances": [{"InstanceId": "i-3"}]},
    ],
    "Payload": {"message": "hello", "count": 0, "empty": None},
}


@pytest.mark.parametrize(("selector", "value"), [
    ("$.Parameter.Value", "db.internal"),
    ("$.Parameter.Version", 3),
    ("$.Parameters[0].Name", "/a"),
    ("$.Parameters[-1].Value", "2"),
    ("$.Reservations[0].Instances[0].State.Name", "running"),
    ("$['Parameter']['Weird.Key']", True),
    ('$["Payload"].message', "hello"),
    ("$.Payload.count", 0),
    ("$.Payload.empty", None),
    ("$.Parameters", RESPONSE["Parameters"]),
])
def test_a_definite_selector_gives_the_one_value(selector: str, value: object) -> None:
    assert is_definite(selector)
    assert select(RESPONSE, selector) == value


@pytest.mark.parametrize(("selector", "values"), [
    ("$.Parameters[*].Name", ["/a", "/b"]),
    ("$.Parameters.*.Value", ["1", "2"]),
    ("$.Reservations..Instances..InstanceId", ["i-1", "i-2", "i-3"]),
    ("$..InstanceId", ["i-1", "i-2", "i-3"]),
    ("$.Payload.*", ["hello", 0, None]),
])
def test_an_indefinite_selector_gives_every_value_in_document_order(selector: str, values: list) -> None:
    assert not is_definite(selector)
    assert select(RESPONSE, selector) == values


def test_dollar_alone_is_the_whole_output() -> None:
    assert select(RESPONSE, "$") is RESPONSE


@pytest.mark.parametrize("selector", [
    "$.Nope", "$.Parameter.Value.Deeper", "$.Parameters[2].Name", "$.Parameters[-3]", "$.Parameter[0]",
    "$.Parameters.Name", "$..Nothing", "$.Parameters[*].Missing",
])
def test_a_selector_that_reaches_nothing_is_no_match(selector: str) -> None:
    with pytest.raises(NoMatch):
        select(RESPONSE, selector)
    assert select_all(RESPONSE, selector) == []


@pytest.mark.parametrize("selector", [
    "Parameter.Value", "", "$.", "$..", "$.a[0", "$['a", "$[?(@.Name == '/a')]", "$.a[1:2]", "$.a[0,1]", "$ .a",
])
def test_a_selector_outside_the_subset_is_refused(selector: str) -> None:
    with pytest.raises(SelectorError):
        select(RESPONSE, selector)


def test_select_all_of_a_definite_selector_is_zero_or_one_value() -> None:
    assert select_all(RESPONSE, "$.Parameter.Name") == ["/app/db"]
    assert select_all({"a": [1, 2]}, "$.a") == [[1, 2]]
