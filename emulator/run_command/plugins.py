"""From a Command document and its parameter values to the plugin steps an invocation runs.

At SendCommand the document is turned into a Plan once: `{{ name }}` references in plugin inputs are
replaced by the parameter values (a reference that is the whole string takes the typed value, so
`"runCommand": "{{ commands }}"` becomes the list), `{{ssm:name}}` references are resolved from
Parameter Store, and each step gets the folder its script is written to. The plan is stored with the
command, so what runs after a restart is what was sent.

Like SSM Agent: schema 1.2 runs each `runtimeConfig` plugin (reported under the plugin's name, e.g.
aws:runShellScript, its script in <plugin>/<property id>/, colons dropped), 2.x runs `mainSteps` in order
(reported under the step name, its script in <step name>/). A parameter declared with
`interpolationType: ENV_VAR` (2.2) is given to every step as the environment variable SSM_<name>
and its `{{ name }}` references are left as written.

aws:runShellScript and aws:runPowerShellScript run for real, and so do Run Command's own
aws:downloadContent (download_content.py: SSM documents from the store, S3 objects from the folder standing in
for S3; GitHub and HTTP sources fail offline, saying so) and aws:runDocument (run_document.py: a stored
document or a document file on the instance, its steps made into a nested plan when the step runs). The
plugins other capabilities hand Run Command (Inventory's aws:softwareInventory, Patch Manager's
aws:runPatchBaseline, State Manager's aws:refreshAssociation) run in-process with their step's inputs. Any other
plugin fails at run time with a message saying ssm-emulator does not run it.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from emulator.documents import ResolvedDocument
from emulator.documents.schemas import ALL_PLATFORMS, COMMAND_PLUGINS

SHELL = "aws:runShellScript"
POWERSHELL = "aws:runPowerShellScript"
RUNNABLE = (SHELL, POWERSHELL)
RUN_DOCUMENT = "aws:runDocument"  # its steps are a nested plan, made when it runs (run_document.py)
# Where SSM Agent keeps a command's files on the instance: a folder per step, and downloads/ (aws:downloadContent's
# relative destinations, a relative workingDirectory, aws:runDocument's relative LocalPath).
ORCHESTRATION = "/var/lib/amazon/ssm/{instance}/document/orchestration/{command}"
# SSM Agent runs aws:runPowerShellScript on Linux and macOS too (with PowerShell installed).
PLUGIN_PLATFORMS: dict[str, tuple[str, ...]] = {**COMMAND_PLUGINS, POWERSHELL: ALL_PLATFORMS}

# SSM Agent's bounds for a step's timeoutSeconds; a value outside them (or not a number) runs with the default
# (pluginutil.ValidateExecutionTimeout), so AWS-RunShellScript's executionTimeout "1" means an hour.
DEFAULT_EXECUTION_TIMEOUT = 3600
MIN_EXECUTION_TIMEOUT = 5
MAX_EXECUTION_TIMEOUT = 172800  # 48 hours, AWS-RunShellScript's documented maximum

_PARAMETER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_SSM = re.compile(r"\{\{\s*ssm:([^{}\s]+)\s*\}\}")

# name -> its value as text; raises the caller's error for a reference that can't be resolved.
SsmLookup = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Run:
    """One script to write and run: a 2.x step has one; a 1.2 plugin one per `properties` entry."""

    folder: str  # below the command's orchestration folder
    script: str
    working_directory: str
    timeout: int
    # A plugin the emulator runs in-process (aws:softwareInventory) gets its filled-in inputs.
    inputs: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Step:
    name: str  # the PluginName reported
    action: str
    runs: tuple[Run, ...]
    precondition: tuple[str, str] | None = None  # StringEquals operands, references substituted
    exit_on_failure: bool = False  # onFailure: exit

    @property
    def platforms(self) -> tuple[str, ...]:
        found = PLUGIN_PLATFORMS.get(self.action, ALL_PLATFORMS)
        if self.precondition is not None and self.precondition[0] == "platformType":
            found = tuple(p for p in found if p == self.precondition[1])
        return found

    def applies_to(self, platform: str | None) -> bool:
        """Whether the precondition holds on an instance of `platform` (None: not known yet)."""
        if self.precondition is None:
            return True
        left, right = self.precondition
        if left == "platformType":
            return platform is None or platform == right
        return left == right

    def unsatisfied(self) -> str:
        left, right = self.precondition or ("", "")
        return (
            f"Step execution skipped due to unsatisfied preconditions: '\"StringEquals\": [{left}, {right}]'. "
            f"Step name: {self.name}"
        )


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...]
    env: Mapping[str, str]  # SSM_<name> for ENV_VAR parameters
    execution_timeout: int  # the longest step timeout: with TimeoutSeconds, when the command expires

    def runs_on(self, platform: str | None) -> bool:
        """Whether any step would run on an instance of `platform` (None: not known, so yes)."""
        if platform is None:
            return True
        return any(platform in step.platforms for step in self.steps)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Plan:
        raw = json.loads(text)
        steps = tuple(
            Step(
                name=s["name"],
                action=s["action"],
                runs=tuple(Run(**r) for r in s["runs"]),
                precondition=tuple(s["precondition"]) if s["precondition"] else None,  # type: ignore[arg-type]
                exit_on_failure=s["exit_on_failure"],
            )
            for s in raw["steps"]
        )
        return cls(steps, dict(raw["env"]), raw["execution_timeout"])


# --- building ----------------------------------------------------------------------------------------------


def build(document: ResolvedDocument, values: Mapping[str, Any], resolve_ssm: SsmLookup) -> Plan:
    """The plan of a Command document with validated, default-filled parameter values."""
    return build_content(document.content, document.schema_version, values, resolve_ssm)


def build_content(content: Any, schema_version: str | None, values: Mapping[str, Any],
                  resolve_ssm: SsmLookup) -> Plan:
    """The plan of a Command document's parsed content (aws:runDocument also runs documents read from a file)."""
    body = content if isinstance(content, dict) else {}
    declared = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
    as_env = {
        name for name, decl in declared.items()
        if isinstance(decl, dict) and decl.get("interpolationType") == "ENV_VAR"
    }
    substituted = {name: value for name, value in values.items() if name not in as_env}

    def fill(value: Any) -> Any:
        return _resolve_ssm(_substitute(value, substituted), resolve_ssm)

    if schema_version == "1.2":
        steps = _runtime_config(body.get("runtimeConfig") or {}, fill)
    else:
        steps = _main_steps(body.get("mainSteps") or [], fill)
    env = {f"SSM_{name}": _resolve_ssm(text(values[name]), resolve_ssm) for name in as_env if name in values}
    timeout = max((run.timeout for step in steps for run in step.runs), default=DEFAULT_EXECUTION_TIMEOUT)
    return Plan(tuple(steps), env, timeout)


def _runtime_config(config: Mapping[str, Any], fill: Callable[[Any], Any]) -> list[Step]:
    steps = []
    for plugin, settings in config.items():
        properties = settings.get("properties") if isinstance(settings, dict) else None
        entries = properties if isinstance(properties, list) else [properties or {}]
        runs = []
        for i, entry in enumerate(entries):
            entry = fill(entry) if isinstance(entry, dict) else {}
            property_id = str(entry.get("id") or f"{i}.{plugin}")
            runs.append(_run(f"{_folder(plugin)}/{_folder(property_id)}", entry))
        steps.append(Step(name=plugin, action=plugin, runs=tuple(runs)))
    return steps


def _main_steps(main_steps: list[Any], fill: Callable[[Any], Any]) -> list[Step]:
    steps = []
    for raw in main_steps:
        if not isinstance(raw, dict):
            continue
        name, action = str(raw.get("name", "")), str(raw.get("action", ""))
        inputs = fill(raw.get("inputs") or {})
        condition = raw.get("precondition")
        precondition = None
        if isinstance(condition, dict) and isinstance(condition.get("StringEquals"), list):
            operands = [text(fill(o)) for o in condition["StringEquals"]]
            if len(operands) == 2:
                precondition = (operands[0], operands[1])
        steps.append(
            Step(
                name=name,
                action=action,
                runs=(_run(_folder(name), inputs if isinstance(inputs, dict) else {}, action not in RUNNABLE),),
                precondition=precondition,
                exit_on_failure=raw.get("onFailure") == "exit",
            )
        )
    return steps


def _run(folder: str, inputs: Mapping[str, Any], keep_inputs: bool = False) -> Run:
    return Run(
        folder=folder,
        script=_script(inputs.get("runCommand")),
        working_directory=text(inputs.get("workingDirectory") or ""),
        timeout=_timeout(inputs.get("timeoutSeconds")),
        inputs=dict(inputs) if keep_inputs else None,
    )


def orchestration_folder(instance_id: str, command_id: str) -> str:
    return ORCHESTRATION.format(instance=instance_id, command=command_id)


def in_downloads(path: str, folder: str) -> str:
    """A step's path as SSM Agent reads it (destinationPath, LocalPath, workingDirectory): an absolute one as
    given, a relative one below the downloads folder of the command's orchestration `folder`, where
    aws:downloadContent puts files."""
    return path if path.startswith("/") else f"{folder}/downloads/{path}"


def _folder(name: str) -> str:
    return name.replace(":", "").replace("/", "")


def _script(run_command: Any) -> str:
    """The script file's text: SSM Agent writes the lines joined by newlines, with a final newline."""
    if run_command is None:
        return "\n"
    lines = run_command if isinstance(run_command, list) else [run_command]
    return "\n".join(text(line) for line in lines) + "\n"


def _timeout(raw: Any) -> int:
    try:
        seconds = int(float(str(raw).strip()))  # the agent takes "90.5" as 90
    except (ValueError, OverflowError):
        return DEFAULT_EXECUTION_TIMEOUT
    return seconds if MIN_EXECUTION_TIMEOUT <= seconds <= MAX_EXECUTION_TIMEOUT else DEFAULT_EXECUTION_TIMEOUT


# --- substitution ------------------------------------------------------------------------------------------


def text(value: Any) -> str:
    """A value as it reads inside a string: lists comma-joined, booleans lower-case, maps as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _substitute(value: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _PARAMETER.fullmatch(value.strip())
        if whole is not None and whole.group(1) in values:
            return values[whole.group(1)]
        return _PARAMETER.sub(lambda m: text(values[m.group(1)]) if m.group(1) in values else m.group(0), value)
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            filled = _substitute(item, values)
            if isinstance(filled, list) and isinstance(item, str):
                out.extend(filled)  # "{{ commands }}" as one item of a list: its lines, in place
            else:
                out.append(filled)
        return out
    if isinstance(value, dict):
        return {k: _substitute(v, values) for k, v in value.items()}
    return value


def _resolve_ssm(value: Any, lookup: SsmLookup) -> Any:
    if isinstance(value, str):
        return _SSM.sub(lambda m: lookup(m.group(1)), value) if "{{" in value else value
    if isinstance(value, list):
        return [_resolve_ssm(v, lookup) for v in value]
    if isinstance(value, dict):
        return {k: _resolve_ssm(v, lookup) for k, v in value.items()}
    return value
