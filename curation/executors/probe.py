"""The check a Dask worker runs before a run's first task: can it see and run what the run needs?

One call of ``check_worker`` on each worker answers, as plain data:

- packages: ``curation``, datatrove, torch and transformers are installed there in the client's versions (and
  ``curation`` with the client's code: the same version number with other source files is a difference);
- stages: the modules the recipe's stages come from import there (a stage's own dependencies, e.g. fastText);
- paths: each input, model and evaluation file the run reads is there, readable, and the same (kind, size, and
  for a folder the names and sizes of its files) as the client sees it; each folder a stage writes is there
  when the client has it, and writable;
- output: the worker reads a file with a random token the client wrote into the output folder, and writes its
  own answer next to it for the client to read back. This proves both see the *same* folder, which a check
  that the path merely exists cannot (a relative path, a folder with the same name on each machine).

It has to run where curation is missing or differs from the client's, so this module imports nothing of
curation and nothing outside the standard library except fsspec for URLs, and only inside functions: the
client sends it by value (``cloudpickle``) with a request and an answer made of plain dicts, lists and strings.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import os
import socket
import sys
from typing import Any

REQUIRED_PACKAGES = ("curation", "datatrove", "torch", "transformers")
"""Packages whose version on a worker must be the client's (those the client has)."""
SHIPPED_MODELS_ATTRIBUTE = "curation_shipped_models"
"""Attribute of a Dask worker holding {client's model path: the worker's copy} for models shipped to it."""
PROBE_FOLDER = "_work/probe"
"""Where, inside the output folder, the client and the workers leave their check files (removed after)."""
CLIENT_FILE = "client.json"
MAX_LISTED_FILES = 200
"""A model folder's files compared by name and size, up to this many (a model folder holds a handful)."""


def package_state(name: str) -> dict[str, Any]:
    """Whether ``name`` can be imported here, its installed version, where it is, and for ``curation`` a digest
    of its source files. Nothing is imported (``find_spec`` of a top-level name only locates it)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return {"found": False}
    locations = list(spec.submodule_search_locations or [])
    location = locations[0] if locations else spec.origin
    try:
        version: str | None = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        version = None
    state: dict[str, Any] = {"found": True, "version": version, "location": location}
    if name == "curation" and location and os.path.isdir(location):
        state["digest"] = source_digest(location)
    return state


def source_digest(folder: str) -> str:
    """SHA-256 over the relative names and bytes of every ``.py`` file under ``folder``, in sorted order."""
    files = []
    for root, directories, names in os.walk(folder):
        directories[:] = sorted(d for d in directories if d != "__pycache__")
        files += [os.path.join(root, name) for name in names if name.endswith(".py")]
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(os.path.relpath(path, folder).replace(os.sep, "/").encode() + b"\0")
        with open(path, "rb") as handle:
            digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()[:16]


def is_url(path: str) -> bool:
    """A location behind a filesystem other than this machine's (``s3://``, ``memory://``; not ``file://``)."""
    scheme, separator, _ = path.partition("://")
    return (bool(separator) and scheme not in ("file", "local")) or "::" in path


def _local(path: str) -> str:
    for prefix in ("file://", "local://"):
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path


def path_signature(path: str, options: dict[str, Any] | None = None, *, listing: bool = False) -> dict[str, Any]:
    """What a path is here: ``{"kind": "missing" | "file" | "dir", "size": bytes}``, with ``files`` (name ->
    size of a folder's files, ``listing`` only) and ``error`` when it cannot be read."""
    if is_url(path):
        return _url_signature(path, options or {}, listing)
    path = _local(path)
    try:
        if os.path.isdir(path):
            signature: dict[str, Any] = {"kind": "dir"}
            with os.scandir(path) as entries:
                if listing:
                    files = {}
                    for entry in entries:
                        if entry.is_file() and len(files) < MAX_LISTED_FILES:
                            files[entry.name] = entry.stat().st_size
                    signature["files"] = files
                else:
                    next(entries, None)
            return signature
        if os.path.exists(path):
            with open(path, "rb") as handle:
                handle.read(1)
            return {"kind": "file", "size": os.path.getsize(path)}
        return {"kind": "missing"}
    except OSError as error:
        return {"kind": "unreadable", "error": f"{type(error).__name__}: {error.strerror or error}"}


def _url_signature(path: str, options: dict[str, Any], listing: bool) -> dict[str, Any]:
    try:
        from fsspec.core import url_to_fs

        fs, inner = url_to_fs(path, **options)
        if not fs.exists(inner):
            return {"kind": "missing"}
        info = fs.info(inner)
        if info.get("type") == "directory":
            signature: dict[str, Any] = {"kind": "dir"}
            if listing:
                entries = fs.ls(inner, detail=True)[:MAX_LISTED_FILES]
                signature["files"] = {
                    entry["name"].rstrip("/").rsplit("/", 1)[-1]: entry.get("size")
                    for entry in entries
                    if entry.get("type") == "file"
                }
            return signature
        return {"kind": "file", "size": info.get("size")}
    except Exception as error:
        return {"kind": "unreadable", "error": f"{type(error).__name__}: {error}"}


def _open(folder: str, relative: str, mode: str, options: dict[str, Any]):
    if is_url(folder):
        from fsspec.core import url_to_fs

        fs, inner = url_to_fs(folder, **options)
        target = f"{inner.rstrip('/')}/{relative}"
        if "w" in mode:
            fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        return fs.open(target, mode)
    target = os.path.join(_local(folder), *relative.split("/"))
    return open(target, mode)


def _worker_identity() -> dict[str, Any]:
    identity: dict[str, Any] = {"host": socket.gethostname(), "pid": os.getpid(), "cwd": os.getcwd()}
    try:
        from distributed import get_worker

        worker = get_worker()
        identity["address"] = worker.address
        identity["shipped"] = dict(getattr(worker, SHIPPED_MODELS_ATTRIBUTE, {}) or {})
    except (ImportError, ValueError):
        identity["address"] = f"pid {os.getpid()} on {identity['host']}"
        identity["shipped"] = {}
    return identity


def _problem(kind: str, subject: str, detail: str, reason: str = "", **extra: Any) -> dict[str, Any]:
    """One problem: ``subject`` (a path, a package) ``detail`` (what is wrong, said of the worker), ``reason``."""
    return {"kind": kind, "subject": subject, "detail": detail, "reason": reason, **extra}


def _describe(state: dict[str, Any]) -> str:
    return f"{state.get('version') or 'no version'} from {state.get('location')}"


def check_packages(expected: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Differences between the client's package states (``package_state`` there) and this process's."""
    problems = []
    for name, client in expected.items():
        if not client.get("found"):
            continue
        here = package_state(name)
        if not here["found"]:
            detail, reason = "is not installed", f"the client has {_describe(client)}"
        elif here.get("version") != client.get("version"):
            detail, reason = "is another version", f"{_describe(here)} there, {_describe(client)} on the client"
        elif client.get("digest") and here.get("digest") != client["digest"]:
            detail = "has other code than the client's"
            reason = f"the same version number, but {here.get('location')} there differs from {client.get('location')}"
        else:
            continue
        problems.append(_problem("package", name, detail, reason, client_version=client.get("version")))
    return problems


def check_modules(modules: list[list[str]]) -> list[dict[str, Any]]:
    """The stages' modules that cannot be imported here, with the error (a dependency that is missing)."""
    problems = []
    for module, stage in modules:
        try:
            importlib.import_module(module)
        except Exception as error:
            reason = f"importing {module} fails: {type(error).__name__}: {error}"
            problems.append(_problem("module", stage, "cannot be built", reason))
    return problems


def check_paths(paths: list[dict[str, Any]], shipped: dict[str, str]) -> list[dict[str, Any]]:
    """Each path as the client sees it (``expected``: its ``path_signature`` there) against what is here."""
    problems = []
    for entry in paths:
        path, role, expected = entry["path"], entry["role"], entry["expected"]
        local_copy = shipped.get(path) if role == "model" else None
        here = path_signature(local_copy or path, entry.get("options"), listing=role == "model")
        difference = _path_difference(expected, here)
        if difference is None and role == "write" and (reason := _not_writable(path)):
            difference = ("cannot be written", reason)
        if difference is not None:
            extra = {"role": role, "field": entry["field"], "shipped": bool(local_copy)}
            problems.append(_problem("path", path, *difference, missing=here["kind"] == "missing", **extra))
    return problems


def _path_difference(expected: dict[str, Any], here: dict[str, Any]) -> tuple[str, str] | None:
    """(what is wrong, why) when the path here is not what the client has; None when it is."""
    kind = here["kind"]
    if kind == "unreadable":
        return "cannot be read", here["error"]
    if expected["kind"] == "missing":
        return None  # a folder a stage creates: only its parent's writability is checked
    if kind == "missing":
        return "is missing", ""
    names = {"dir": "folder", "file": "file"}
    if kind != expected["kind"]:
        return f"is a {names.get(kind, kind)}", f"the client has a {names.get(expected['kind'], expected['kind'])}"
    if kind == "file" and expected.get("size") is not None and here.get("size") != expected["size"]:
        return "differs from the client's", f"{here.get('size')} bytes there, {expected['size']} on the client"
    if kind == "dir" and "files" in expected:
        theirs, ours = expected["files"], here.get("files", {})
        missing = sorted(set(theirs) - set(ours))
        other = sorted(name for name in set(theirs) & set(ours) if theirs[name] != ours[name])
        if missing or other:
            parts = []
            if missing:
                parts.append(f"{', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''} missing")
            if other:
                parts.append(f"{', '.join(other[:3])}{' ...' if len(other) > 3 else ''} of other sizes")
            return "differs from the client's folder", " and ".join(parts)
    return None


def _not_writable(path: str) -> str:
    """Why a local folder (or, when it does not exist yet, its nearest existing parent) cannot be written."""
    if is_url(path):
        return ""
    candidate = os.path.abspath(_local(path))
    while not os.path.exists(candidate):
        parent = os.path.dirname(candidate)
        if parent == candidate:
            break
        candidate = parent
    return "" if os.access(candidate, os.W_OK) else f"{candidate} is not writable there"


def check_output(output: dict[str, Any], reply: str | None, address: str) -> list[dict[str, Any]]:
    """Read the token the client wrote into the output folder; then, if ``reply``, write this worker's answer.

    Nothing is written unless the client's file was found, so a worker that sees another folder under the
    output's name (its own disk) leaves nothing in it.
    """
    path, options, folder = output["path"], output.get("options") or {}, output["folder"]
    try:
        with _open(path, f"{folder}/{CLIENT_FILE}", "rb", options) as handle:
            seen = json.loads(handle.read()).get("token")
    except FileNotFoundError:
        seen = None
    except Exception as error:
        return [_problem("output", path, "cannot be read", f"{type(error).__name__}: {error}")]
    if seen != output["token"]:
        reason = f"the file {folder}/{CLIENT_FILE} the client wrote into it is not there"
        return [_problem("output", path, "is not the client's folder", reason)]
    if reply:
        try:
            with _open(path, f"{folder}/{reply}", "wb", options) as handle:
                handle.write(json.dumps({"token": output["token"], "address": address}).encode())
        except Exception as error:
            return [_problem("output", path, "cannot be written", f"{type(error).__name__}: {error}")]
    return []


def check_worker(request: dict[str, Any]) -> dict[str, Any]:
    """Everything above for one run's ``request``; the answer names the worker and lists the problems.

    Paths and the output come first (fast); the stages' modules are imported only when the packages agree
    (importing them with another curation would only add confusing errors).
    """
    identity = _worker_identity()
    problems = check_packages(request["packages"])
    problems += check_paths(request["paths"], identity["shipped"])
    if request.get("output"):
        problems += check_output(request["output"], request.get("reply"), identity["address"])
    if not any(problem["kind"] == "package" for problem in problems):
        problems += check_modules(request["modules"])
    return {**identity, "python": sys.version.split()[0], "problems": problems}


class Call:
    """Pickles as a call of ``function(*args)``: unpickling it runs the function and gives its result.

    The client submits ``pickle.loads`` (which every Python has) with such a call, pickled by value, as the
    worker's task, so the check runs even where curation cannot be imported.
    """

    def __init__(self, function, *args: Any):
        self.function = function
        self.args = args

    def __reduce__(self):
        return self.function, self.args
