"""What `{{ ... }}` means in a runbook, and the values steps hand each other.

A placeholder names a runbook parameter (`{{ InstanceId }}`), a step's output (`{{ getStatus.Output }}`, also a
loop's `{{ loopStep.CurrentIteratorValue }}`), a system or automation variable (`{{ global:REGION }}`,
`{{ automation:EXECUTION_ID }}`) or a Parameter Store parameter (`{{ ssm:/app/name }}`). A string that is one
placeholder and nothing else takes the value's own type (a StringList stays a list, an Integer a number); in a
list, such an item that is a list is spread into it (`InstanceIds: ['{{ InstanceIds }}']`, AWS's own example);
placeholders inside longer text are replaced by the value's text (lists and maps as JSON).

Step `outputs` select from an action's raw output with a Selector (selectors.py) and `convert` to the declared
Type.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from api_models._runtime import render_value

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
OUTPUT_TYPES = ("String", "Integer", "Boolean", "StringList", "StringMap", "MapList")


class Unresolved(Exception):
    """A placeholder names nothing this execution knows (yet)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def system_variables(execution_id: str, document_name: str, account: str, region: str,
                     now: datetime) -> dict[str, str]:
    """AWS's system and automation variables, DATE and DATE_TIME those of `now` (UTC)."""
    return {
        "global:ACCOUNT_ID": account,
        "global:REGION": region,
        "global:AWS_PARTITION": partition(region),
        **dates(now),
        "automation:EXECUTION_ID": execution_id,
        "automation:DOCUMENT_NAME": document_name,
    }


def dates(now: datetime) -> dict[str, str]:
    """global:DATE and global:DATE_TIME at `now`. AWS substitutes them when a step runs ("Automation system
    variables": a time injected at step 1 differs from one injected at step 3), so the engine takes them anew
    for every substitution."""
    return {"global:DATE": now.strftime("%Y-%m-%d"), "global:DATE_TIME": now.strftime("%Y-%m-%d_%H.%M.%S")}


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


@dataclass(frozen=True)
class Scope:
    """Everything a placeholder can name at one moment of an execution."""

    parameters: Mapping[str, Any]
    outputs: Mapping[str, Any]        # "step.Output" -> value
    system: Mapping[str, Any]
    ssm: Callable[[str], Any] | None = None  # Parameter Store lookup for {{ ssm:name }}

    def lookup(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        if name in self.system:
            return self.system[name]
        if name in self.outputs:
            return self.outputs[name]
        if name.startswith("ssm:") and self.ssm is not None:
            return self.ssm(name[4:])
        raise Unresolved(name)


def resolve(value: Any, scope: Scope) -> Any:
    """`value` (inputs of a step, any JSON shape) with every placeholder filled in; Unresolved if one can't be."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value.strip())
        if whole is not None:
            return scope.lookup(whole.group(1))
        return PLACEHOLDER.sub(lambda m: text(scope.lookup(m.group(1))), value)
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            resolved = resolve(item, scope)
            if isinstance(item, str) and isinstance(resolved, list) and PLACEHOLDER.fullmatch(item.strip()):
                out.extend(resolved)
            else:
                out.append(resolved)
        return out
    if isinstance(value, dict):
        return {key: resolve(item, scope) for key, item in value.items()}
    return value


def text(value: Any) -> str:
    """A value as text: strings as they are, booleans as JSON (true), lists and maps as JSON."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"), default=str)
    return render_value(value)


def flag(value: Any) -> bool:
    """A step property that is a boolean (isEnd, isCritical): YAML's true or the text "true"."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def critical(step: Mapping[str, Any]) -> bool:
    """A step's isCritical: as the step says, else false when its onFailure is Continue, else true (AWS's
    defaults, "Properties shared by all actions")."""
    if "isCritical" in step:
        return flag(step["isCritical"])
    return str(step.get("onFailure", "Abort")) != "Continue"


def integer(value: Any) -> int | None:
    """A step property that is a number (timeoutSeconds, maxAttempts); None when absent or not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def as_strings(value: Any) -> list[str]:
    """A value as the API's lists of strings (Parameters, Outputs)."""
    if isinstance(value, list):
        return [text(v) for v in value]
    return [text(value)]


def convert(value: Any, output_type: str) -> Any:
    """A selected value as the output's declared Type (ValueError if it can't be)."""
    if output_type == "String":
        return text(value)
    if output_type == "Integer":
        if isinstance(value, bool):
            raise ValueError(value)
        return int(value)
    if output_type == "Boolean":
        if isinstance(value, str):
            if value.lower() not in ("true", "false"):
                raise ValueError(value)
            return value.lower() == "true"
        return bool(value)
    if output_type == "StringList":
        return [text(v) for v in value] if isinstance(value, list) else [text(value)]
    if output_type == "StringMap":
        if not isinstance(value, dict):
            raise ValueError(value)
        return value
    if output_type == "MapList":
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ValueError(value)
        return value
    return value
