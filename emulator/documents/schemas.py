"""What each document type and schema version allows, and what its content implies.

`check(body, document_type)` validates parsed content the way SSM does on CreateDocument and
UpdateDocument and returns the schema version and the platform types the content runs on:

- Command 1.2: `runtimeConfig` of known plugins; 2.0/2.2: `mainSteps` of uniquely named steps
  running known plugins, with `precondition` (2.2 only) limiting a step to one platform;
- Policy 2.0/2.2: like Command 2.x;
- Automation and Automation.ChangeTemplate 0.3: `mainSteps` of uniquely named steps running
  known automation actions, `nextStep`/`onFailure` naming existing steps;
- Session 1.0: a known `sessionType` with `inputs` (Standard_Stream) or `properties`;
- CloudFormation: a `schemaVersion` and the `templateBody` it wraps;
- any other type: well-formed JSON/YAML is enough.

For these types `parameters` are checked by parameters.declare, and every `{{ name }}` the
content refers to must be declared.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from api_models.errors import InvalidDocumentContent, InvalidDocumentSchemaVersion
from emulator.documents import parameters as params

WINDOWS, LINUX, MACOS = "Windows", "Linux", "MacOS"
ALL_PLATFORMS = (WINDOWS, LINUX, MACOS)

# Run Command plugins and the platforms SSM Agent runs them on.
COMMAND_PLUGINS: dict[str, tuple[str, ...]] = {
    "aws:applications": (WINDOWS,),
    "aws:cloudWatch": (WINDOWS,),
    "aws:configureDocker": (WINDOWS, LINUX),
    "aws:configurePackage": ALL_PLATFORMS,
    "aws:domainJoin": (WINDOWS,),
    "aws:downloadContent": ALL_PLATFORMS,
    "aws:psModule": (WINDOWS,),
    "aws:refreshAssociation": ALL_PLATFORMS,
    "aws:runDockerAction": (WINDOWS, LINUX),
    "aws:runDocument": ALL_PLATFORMS,
    # ssm-emulator's own: AWS-RunPatchBaseline's PatchLinux step, which on AWS is a shell script that downloads
    # the patching payload from S3; here Patch Manager runs it in-process (emulator/patch_manager).
    "aws:runPatchBaseline": (LINUX,),
    "aws:runPowerShellScript": (WINDOWS,),
    "aws:runShellScript": (LINUX, MACOS),
    "aws:softwareInventory": ALL_PLATFORMS,
    "aws:updateAgent": (WINDOWS,),
    "aws:updateSsmAgent": ALL_PLATFORMS,
}

AUTOMATION_ACTIONS = frozenset({
    "aws:approve", "aws:assertAwsResourceProperty", "aws:branch", "aws:changeInstanceState",
    "aws:copyImage", "aws:createImage", "aws:createStack", "aws:createTags", "aws:deleteImage",
    "aws:deleteStack", "aws:executeAutomation", "aws:executeAwsApi", "aws:executeScript",
    "aws:executeStateMachine", "aws:invokeLambdaFunction", "aws:invokeWebhook", "aws:loop",
    "aws:pause", "aws:runCommand", "aws:runInstances", "aws:sleep", "aws:updateVariable",
    "aws:waitForAwsResourceProperty",
})
# Actions that take no inputs.
_AUTOMATION_NO_INPUTS = frozenset({"aws:pause"})

SESSION_TYPES = ("Standard_Stream", "Port", "InteractiveCommands", "NonInteractiveCommands")

# Schema versions each type accepts; types not listed accept any (or none).
SCHEMA_VERSIONS: dict[str, tuple[str, ...]] = {
    "Command": ("1.2", "2.0", "2.2"),
    "Policy": ("2.0", "2.2"),
    "Automation": ("0.3",),
    "Automation.ChangeTemplate": ("0.3",),
    "Session": ("1.0",),
}
# A version no type knows is refused as content: "InvalidDocumentContent: Document schema version is
# invalid. Value: 3.0" (hashicorp/terraform-provider-aws#21213); one of another type's versions is
# InvalidDocumentSchemaVersion ("2.0 is not a valid schema version for Session document type").
KNOWN_SCHEMA_VERSIONS = frozenset(v for versions in SCHEMA_VERSIONS.values() for v in versions)
# A CloudFormation document wraps a template; SSM checks it against a JSON schema whose errors it
# answers verbatim: '[message: "object has missing required properties ([\"schemaVersion\",
# \"templateBody\"])" - parent node: /]' (aws/aws-cli#8253).
CLOUDFORMATION_REQUIRED = ("schemaVersion", "templateBody")

_STEP_NAME = re.compile(r"^[a-zA-Z0-9_.\-]{1,128}$")
_AUTOMATION_STEP_NAME = re.compile(r"^[a-zA-Z0-9_]{1,128}$")
_REFERENCE = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")


def _bad(message: str) -> InvalidDocumentContent:
    return InvalidDocumentContent(message)


def schema_version_of(body: dict[str, Any]) -> str | None:
    raw = body.get("schemaVersion")
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise _bad("The schemaVersion field must be a string, for example \"2.2\".")
    if isinstance(raw, (int, float)):
        return repr(float(raw)) if isinstance(raw, float) else f"{raw}.0"
    if not isinstance(raw, str):
        raise _bad("The schemaVersion field must be a string, for example \"2.2\".")
    return raw


def check(body: dict[str, Any], document_type: str) -> tuple[str | None, tuple[str, ...], tuple[params.DeclaredParameter, ...]]:
    """Validate parsed content for its type: (schema version, platform types, parameters)."""
    allowed = SCHEMA_VERSIONS.get(document_type)
    if document_type == "CloudFormation":
        _cloudformation(body)
    if allowed is None:  # other types: well-formed JSON/YAML is all that is checked
        raw = body.get("schemaVersion")
        return (raw if isinstance(raw, str) else None), (), ()
    version = schema_version_of(body)
    if version is None:
        raise _bad("The schemaVersion field is required.")
    if version not in KNOWN_SCHEMA_VERSIONS:
        raise _bad(f"Document schema version is invalid. Value: {version}")
    if version not in allowed:
        raise InvalidDocumentSchemaVersion(f"{version} is not a valid schema version for {document_type} document type")
    automation = document_type in ("Automation", "Automation.ChangeTemplate")
    declared = params.declare(body.get("parameters"), automation=automation)
    if document_type in ("Command", "Policy"):
        platforms = _command_1_2(body) if version == "1.2" else _command_2(body, version)
    elif automation:
        _automation(body)
        platforms = ALL_PLATFORMS
    else:
        _session(body)
        platforms = ALL_PLATFORMS
    known = {p.name for p in declared}
    variables = body.get("variables")
    if automation and isinstance(variables, dict):
        known |= {str(k) for k in variables}
    for name in _references(body):
        if name not in known:
            raise _bad(f'Parameter "{name}" is not declared.')
    return version, platforms, declared


def _references(body: dict[str, Any]) -> Iterator[str]:
    """Names the content refers to as {{ name }}: not in `parameters`, and not the prefixed
    ({{ssm:...}}, {{ automation:EXECUTION_ID }}) or dotted ({{ step.Output }}) references
    SSM resolves itself."""
    stack: list[Any] = [v for k, v in body.items() if k != "parameters"]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "{{" in item:
                for ref in _REFERENCE.findall(item):
                    if ":" not in ref and "." not in ref:
                        yield ref
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


# --- Command and Policy ------------------------------------------------------------------------


def _command_1_2(body: dict[str, Any]) -> tuple[str, ...]:
    config = body.get("runtimeConfig")
    if not isinstance(config, dict) or not config:
        raise _bad("A document with schema version 1.2 must have a runtimeConfig section with at least one plugin.")
    found: set[str] = set()
    for plugin, settings in config.items():
        if plugin not in COMMAND_PLUGINS:
            raise _bad(f"Plugin {plugin} isn't supported.")
        if not isinstance(settings, dict) or "properties" not in settings:
            raise _bad(f"Plugin {plugin} must have a properties section.")
        if not isinstance(settings["properties"], (dict, list)):
            raise _bad(f"The properties of plugin {plugin} must be a map or a list.")
        found.update(COMMAND_PLUGINS[plugin])
    return tuple(p for p in ALL_PLATFORMS if p in found)


def _named_steps(body: dict[str, Any], version: str, name_rule: re.Pattern[str],
                 name_chars: str) -> list[tuple[str, dict[str, Any]]]:
    """`mainSteps` as (name, step) pairs: a non-empty list of maps with unique names."""
    steps = body.get("mainSteps")
    if not isinstance(steps, list) or not steps:
        raise _bad(f"A document with schema version {version} must have a mainSteps section with at least one step.")
    out: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for i, step in enumerate(steps, 1):
        if not isinstance(step, dict):
            raise _bad(f"Step {i} of mainSteps must be a map.")
        name = step.get("name")
        if not isinstance(name, str) or not name_rule.match(name):
            raise _bad(f"Step {i} of mainSteps must have a name made of {name_chars}.")
        if name in seen:
            raise _bad(f"Step name {name} is used more than once. Step names must be unique.")
        seen.add(name)
        out.append((name, step))
    return out


def _command_2(body: dict[str, Any], version: str) -> tuple[str, ...]:
    found: set[str] = set()
    for name, step in _named_steps(body, version, _STEP_NAME, "letters, numbers, '.', '-' and '_'"):
        action = step.get("action")
        if not isinstance(action, str) or not action:
            raise _bad(f"Step {name} must have an action.")
        if action not in COMMAND_PLUGINS:
            raise _bad(f"Plugin {action} isn't supported.")
        if "inputs" in step and not isinstance(step["inputs"], dict):
            raise _bad(f"The inputs of step {name} must be a map.")
        platforms = set(COMMAND_PLUGINS[action])
        if "precondition" in step:
            if version != "2.2":
                raise _bad(f"Preconditions are supported by schema version 2.2 only; step {name} has one.")
            platforms &= _precondition(name, step["precondition"])
        found |= platforms
    return tuple(p for p in ALL_PLATFORMS if p in found)


def _precondition(step: str, condition: Any) -> set[str]:
    """The platforms a `precondition` admits: {"StringEquals": ["platformType", "Linux"]}."""
    if not isinstance(condition, dict) or list(condition) != ["StringEquals"]:
        raise _bad(f"The precondition of step {step} must be a StringEquals condition.")
    operands = condition["StringEquals"]
    if not isinstance(operands, list) or len(operands) != 2 or not all(isinstance(o, str) for o in operands):
        raise _bad(f"The StringEquals precondition of step {step} must have exactly two string operands.")
    left, right = operands
    if left == "platformType":
        if right not in ALL_PLATFORMS:
            raise _bad(f"Precondition platformType value {right} isn't supported. Use Windows, Linux or MacOS.")
        return {right}
    if _REFERENCE.fullmatch(left.strip()):
        return set(ALL_PLATFORMS)  # a parameter comparison: decided at run time
    raise _bad(f"The precondition of step {step} must compare platformType or a document parameter.")


# --- Automation --------------------------------------------------------------------------------


def _automation(body: dict[str, Any]) -> None:
    steps = _named_steps(body, "0.3", _AUTOMATION_STEP_NAME, "letters, numbers and '_'")
    for name, step in steps:
        action = step.get("action")
        if not isinstance(action, str) or not action:
            raise _bad(f"Step {name} must have an action.")
        if action not in AUTOMATION_ACTIONS:
            raise _bad(f"Action {action} isn't supported.")
        inputs = step.get("inputs")
        if inputs is None and action not in _AUTOMATION_NO_INPUTS:
            raise _bad(f"Step {name} must have inputs.")
        if inputs is not None and not isinstance(inputs, dict):
            raise _bad(f"The inputs of step {name} must be a map.")
        if action == "aws:branch" and isinstance(inputs, dict):
            _branch(name, inputs.get("Choices"))
    known = {name for name, _ in steps}
    for name, step in steps:
        targets = [step.get("nextStep")] + [
            t[5:] for t in (step.get("onFailure"), step.get("onCancel")) if isinstance(t, str) and t.startswith("step:")
        ]
        for target in targets:
            if target is not None and target not in known:
                raise _bad(f"Step {name} refers to step {target}, which doesn't exist.")


def _branch(step: str, choices: Any) -> None:
    """And and Or combine two expressions or more, at any depth of a choice."""
    stack = list(choices) if isinstance(choices, list) else []
    while stack:
        choice = stack.pop()
        if not isinstance(choice, dict):
            continue
        for operator in ("And", "Or"):
            operands = choice.get(operator)
            if isinstance(operands, list):
                if len(operands) < 2:
                    # AWS's wording, typo included (awsdocs/aws-systems-manager-user-guide#186).
                    raise _bad(f"Expect at lease two expressions for operator: {operator} in step: {step}. "
                               f"Provided: {len(operands)}")
                stack.extend(operands)
        negated = choice.get("Not")
        stack.extend(negated if isinstance(negated, list) else [negated])


# --- CloudFormation ----------------------------------------------------------------------------


def _cloudformation(body: dict[str, Any]) -> None:
    missing = [key for key in CLOUDFORMATION_REQUIRED if key not in body]
    if missing:
        names = ",".join(f'\\"{key}\\"' for key in missing)
        raise _bad(f'[message: "object has missing required properties ([{names}])" - parent node: /]')


# --- Session -----------------------------------------------------------------------------------


def _session(body: dict[str, Any]) -> None:
    session_type = body.get("sessionType")
    if session_type not in SESSION_TYPES:
        raise _bad(
            f"sessionType {session_type} isn't supported. Use one of: {', '.join(SESSION_TYPES)}."
        )
    section = "inputs" if session_type == "Standard_Stream" else "properties"
    value = body.get(section)
    if value is not None and not isinstance(value, dict):
        raise _bad(f"The {section} section of a {session_type} session document must be a map.")


# --- Change Calendar ---------------------------------------------------------------------------


def check_calendar(text: str) -> None:
    """ChangeCalendar content is an iCalendar (RFC 5545) VCALENDAR object."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines or lines[0].upper() != "BEGIN:VCALENDAR" or lines[-1].upper() != "END:VCALENDAR":
        raise _bad("The calendar content isn't valid. It must be an iCalendar object "
                   "starting with BEGIN:VCALENDAR and ending with END:VCALENDAR.")
