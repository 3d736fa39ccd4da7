"""Runs one aws:executeScript handler inside its own `python3 -I` process (see script_runner.py).

Standard library only, and imports nothing of the emulator: it runs in a fresh interpreter that does not
see the emulator's packages. argv[1] is a JSON job file:
    {"file": <the script's .py>, "module": <its module name>, "handler": <function name>,
     "context": {...}, "result": <where to write the result>, "extra_path": [...]}
`events` (the step's InputPayload) arrive as JSON on stdin. The result file gets one JSON object:
    {"status": "ok", "payload": <the handler's return value>}
    {"status": "error", "type": ..., "message": ..., "traceback": ...}     the handler (or the script) raised
    {"status": "no_handler", "message": ...}                             no such function in the script
    {"status": "not_serializable", "type": ..., "message": ...}          the return value is not JSON
The process then ends at once (os._exit), whatever threads the handler left running.
"""
import importlib.util
import json
import os
import sys
import traceback


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        job = json.load(f)
    events = json.loads(sys.stdin.read() or "null")
    code_dir = os.path.dirname(os.path.abspath(job["file"]))
    sys.path.insert(0, code_dir)
    sys.path.extend(job.get("extra_path") or [])
    try:
        result = _run(job, events, code_dir)
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # the script may have closed or replaced it
                pass
    temporary = job["result"] + ".partial"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(result)
    os.replace(temporary, job["result"])


def _run(job: dict, events: object, code_dir: str) -> str:
    try:
        spec = importlib.util.spec_from_file_location(job["module"], job["file"])
        module = importlib.util.module_from_spec(spec)
        sys.modules[job["module"]] = module
        spec.loader.exec_module(module)
        handler = getattr(module, job["handler"], None)
        if not callable(handler):
            return json.dumps({
                "status": "no_handler",
                "message": f"the script defines no function named {job['handler']!r}",
            })
        value = handler(events, job["context"])
    except BaseException as exc:  # SystemExit and KeyboardInterrupt raised by the script fail it too
        return json.dumps({
            "status": "error",
            "type": type(exc).__name__,
            "message": str(exc),
            "traceback": _traceback(exc, code_dir),
        })
    try:
        payload = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        return json.dumps({"status": "not_serializable", "type": type(exc).__name__, "message": str(exc)})
    return '{"status": "ok", "payload": ' + payload + "}"


def _traceback(exc: BaseException, code_dir: str) -> str:
    """The traceback as Python prints it, from the script's first frame on (this host's frames and
    importlib's are left out)."""
    tb = exc.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith(code_dir + os.sep):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


if __name__ == "__main__":
    main()
    os._exit(0)
