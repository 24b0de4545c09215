"""Compiled kernels: content-addressed source files, imported and compiled by Numba.

Numba's disk cache (`cache=True`) needs a function defined in a real file, so every
generated module is written to `<cache dir>/kernels/tj_<key>.py`, where key hashes the
comment-free code and the runtime it calls (lowering/kernels.py, special.py, vmath.py,
_threefry.py and Numba's version: Numba compiles those functions into the kernel, and its
own cache would not notice a change in them). Numba then caches the machine code next to
it (`__pycache__`), and a new process that generates the same source loads it in
milliseconds.

The cache directory is `$TRACEJIT_CACHE_DIR`, else `$XDG_CACHE_HOME/tracejit`, else
`~/.cache/tracejit`; `TRACEJIT_CACHE_DIR=` (empty) disables the disk cache (modules go to
a private temporary directory removed at exit). The directory is created 0700. One owned
by another user, or writable by group or others, is refused with a warning: loading
compiled code from it would run whatever someone else put there.

Files are written to a temporary name and linked into place, so a reader never sees a
half-written module and an existing module is never rewritten (its timestamp is part of
Numba's cache key). A module whose content does not match its name, or a Numba cache
entry that fails to load, is replaced and recompiled; neither stops a run.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import threading
import warnings

from ..trace import TraceError
from .source import Lowered

__all__ = ["cache_dir", "compile_kernel", "compiled_kernel", "CompileError", "TracejitCacheWarning"]

_lock = threading.Lock()
_KERNELS: dict[tuple, object] = {}  # (key, signature) -> compiled Numba dispatcher
_dir_state: dict[str, str | None] = {}


class CompileError(TraceError):
    """Numba could not compile generated code (names the equation, never a traceback)."""


class TracejitCacheWarning(UserWarning):
    pass


def _default_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tracejit")


def _private_tempdir() -> str:
    if "temp" not in _dir_state:
        path = tempfile.mkdtemp(prefix="tracejit-")  # created 0700
        atexit.register(shutil.rmtree, path, True)
        _dir_state["temp"] = path
    return _dir_state["temp"]


def check_dir(path: str) -> str | None:
    """Why `path` is unsafe as a cache directory, or None if it is fine."""
    st = os.stat(path)
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return f"it is owned by another user (uid {st.st_uid})"
    if st.st_mode & 0o022:
        return f"it is writable by group or others (mode {st.st_mode & 0o777:o})"
    return None


def cache_dir() -> str | None:
    """The disk cache directory in use, or None if disabled or refused."""
    env = os.environ.get("TRACEJIT_CACHE_DIR")
    path = _default_dir() if env is None else env
    if path in _dir_state:
        return _dir_state[path]
    result = None
    if path:
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
            why = check_dir(path)
        except OSError as err:
            why = f"it cannot be created ({err})"
        if why:
            warnings.warn(
                f"tracejit: not using cache directory {path}: {why}. Compiled code is kept "
                "for this process only; set TRACEJIT_CACHE_DIR to a private directory "
                "(or to the empty string to silence this).",
                TracejitCacheWarning,
                stacklevel=3,
            )
        else:
            result = path
    _dir_state[path] = result
    return result


def module_dir() -> str:
    base = cache_dir()
    path = os.path.join(base, "kernels") if base else _private_tempdir()
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


# ---------------------------------------------------------------------------
# writing and importing modules


def write_module(lowered: Lowered, directory: str) -> str:
    """Path of the module file for `lowered`, written atomically if missing or corrupt."""
    name = f"tj_{lowered.key}"
    path = os.path.join(directory, name + ".py")
    text = lowered.source
    try:
        with open(path, encoding="utf-8") as f:
            existing = f.read()
        if _strip_comments(existing) == lowered.code:
            return path  # keep the file (and its timestamp) another run wrote
    except (OSError, UnicodeDecodeError):
        existing = None
    fd, tmp = tempfile.mkstemp(prefix=name, suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        if existing is None:
            try:
                os.link(tmp, path)  # create-if-absent: a concurrent writer's file wins
                return path
            except FileExistsError:
                return write_module(lowered, directory)
            except OSError:
                pass
        _clear_numba_cache(directory, name)
        os.replace(tmp, path)
        tmp = None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _strip_comments(text: str) -> str:
    """The comment-free code of a module file (generated comments are `  # ...` suffixes)."""
    lines = []
    for line in text.split("\n"):
        if line.lstrip().startswith("#"):
            continue
        cut = line.find("  # ")
        lines.append(line[:cut] if cut >= 0 else line)
    return "\n".join(lines)


def _clear_numba_cache(directory: str, name: str) -> None:
    pyc = os.path.join(directory, "__pycache__")
    if not os.path.isdir(pyc):
        return
    for f in os.listdir(pyc):
        if f.startswith(name + "."):
            try:
                os.unlink(os.path.join(pyc, f))
            except OSError:
                pass


def _import(path: str, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------
# compiling


def numba_signature(avals) -> tuple:
    from numba import from_dtype, types

    return tuple(types.Array(from_dtype(a.dtype), a.ndim, "C") for a in avals)


def _sig_key(in_avals) -> tuple:
    return tuple((a.dtype.str, a.ndim) for a in in_avals)


def compiled_kernel(lowered: Lowered, in_avals):
    """The dispatcher compiled earlier in this process for the same source, or None."""
    with _lock:
        return _KERNELS.get((lowered.key, _sig_key(in_avals)))


def compile_kernel(lowered: Lowered, in_avals):
    """The Numba dispatcher for `lowered`, compiled (or loaded from disk) for C-contiguous
    arrays of the given avals; further compilation is disabled, so a call with other
    types raises TypeError instead of compiling in the caller's thread."""
    sig_key = _sig_key(in_avals)
    hit = compiled_kernel(lowered, in_avals)
    if hit is not None:
        return hit
    directory = module_dir()
    name = f"tj_{lowered.key}"
    sig = numba_signature(in_avals)
    for attempt in range(2):
        try:
            path = write_module(lowered, directory)
            module = _import(path, name)
            disp = getattr(module, lowered.name)
            if not hasattr(disp, "compile"):  # NUMBA_DISABLE_JIT=1: the source as Python
                return disp
            disp.compile(sig)
            break
        except Exception as err:  # noqa: BLE001 - Numba raises many kinds; none may escape
            if attempt == 0 and not _is_typing_error(err):
                _clear_numba_cache(directory, name)  # a corrupt cache entry: start afresh
                continue
            raise CompileError(_describe(err, lowered)) from None
    disp.disable_compile()
    with _lock:
        _KERNELS[(lowered.key, sig_key)] = disp
    return disp


def _is_typing_error(err) -> bool:
    return (
        type(err).__module__.startswith("numba")
        and "Error" in type(err).__name__
        and ("Typing" in type(err).__name__ or "Lowering" in type(err).__name__)
    )


def _describe(err, lowered: Lowered) -> str:
    """One line: what Numba said, and the equation it was compiling if we can tell."""
    msg = re.sub(r"\x1b\[[0-9;]*m", "", str(err))  # Numba colours its messages
    eqn = None
    for m in re.finditer(r'File "[^"]*tj_[0-9a-f]+\.py", line (\d+)', msg):
        eqn = lowered.equation_at(int(m.group(1))) or eqn
    lines = [s.strip() for s in msg.splitlines() if s.strip()]
    said = next(
        (s for s in lines if not s.startswith(("Failed in", "During:", "File ", "[", ">>>"))),
        lines[0] if lines else type(err).__name__,
    )
    if eqn is None:  # no line number: the first generated line naming what Numba names
        names = re.findall(r"'([A-Za-z_][A-Za-z0-9_.]*)'", said)
        for _, code, comment in lowered.lines:
            if comment and any(re.search(rf"\b{re.escape(n)}\b", code) for n in names):
                eqn = comment
                break
    where = f" while compiling `{eqn}`" if eqn else ""
    return (
        f"Numba failed{where} in generated function {lowered.name}: {said}. The source is "
        "in jit(f).source; this is a tracejit bug, please report it with that source."
    )


def configure_threads() -> None:
    """Apply TRACEJIT_NUM_THREADS (threads of `prange` loops) in the calling thread.

    Numba's thread count is per calling thread, so jit.py calls this when it is imported
    (usually in the main thread); before Numba is imported the variable becomes
    NUMBA_NUM_THREADS, the size of Numba's pool.
    """
    n = os.environ.get("TRACEJIT_NUM_THREADS")
    if not n:
        return
    if "numba" not in sys.modules:
        os.environ.setdefault("NUMBA_NUM_THREADS", n)
        return
    import numba

    numba.set_num_threads(max(1, min(int(n), numba.config.NUMBA_NUM_THREADS)))
