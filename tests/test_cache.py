"""The disk cache: shared across processes, safe under concurrency, corruption and
unsafe permissions. Each test runs small child processes on a private cache directory.
"""

import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from tracejit.lowering import cache

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tracejit as tj
    import tracejit.numpy as tnp

    f = tj.jit(lambda x: tnp.sum(tnp.exp(x) * 2.0 + x))
    x = np.arange(5.0)
    f.compile(x)
    k = f._last.kernel
    print(json.dumps({"hits": sum(k.stats.cache_hits.values()),
                      "misses": sum(k.stats.cache_misses.values()),
                      "value": float(f(x))}))
    """
)
WANT = float(np.sum(np.exp(np.arange(5.0)) * 2.0 + np.arange(5.0)))


def _env(cache_dir):
    env = dict(os.environ, TRACEJIT_CACHE_DIR=str(cache_dir), PYTHONPATH=ROOT)
    env.pop("TRACEJIT_SYNC_COMPILE", None)
    env.pop("TRACEJIT_INTERPRET", None)
    return env


def _spawn(cache_dir):
    return subprocess.Popen(
        [sys.executable, "-c", CHILD],
        env=_env(cache_dir),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(proc):
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    res = json.loads(out.strip().splitlines()[-1])
    assert res["value"] == pytest.approx(WANT, rel=1e-12)
    return res, err


def _run(cache_dir):
    return _result(_spawn(cache_dir))


def test_second_process_loads_machine_code_from_disk(tmp_path):
    first, _ = _run(tmp_path)
    second, _ = _run(tmp_path)
    assert first["misses"] == 1 and first["hits"] == 0
    assert second["hits"] == 1 and second["misses"] == 0
    assert (tmp_path.stat().st_mode & 0o777) == 0o700


def test_concurrent_processes(tmp_path):
    procs = [_spawn(tmp_path) for _ in range(2)]
    for p in procs:
        _result(p)
    third, _ = _run(tmp_path)
    assert third["hits"] == 1


def test_corrupt_entries_are_recompiled(tmp_path):
    _run(tmp_path)
    kernels = tmp_path / "kernels"
    (module,) = [p for p in kernels.iterdir() if p.suffix == ".py"]
    module.write_text(module.read_text()[: len(module.read_text()) // 2])  # half-written
    res, _ = _run(tmp_path)
    assert res["misses"] == 1
    for f in (kernels / "__pycache__").iterdir():  # garbage in Numba's own index and data
        f.write_bytes(b"\x80\x04garbage")
    res, _ = _run(tmp_path)
    assert res["misses"] == 1
    res, _ = _run(tmp_path)
    assert res["hits"] == 1


def test_unsafe_cache_dir_is_refused(tmp_path):
    unsafe = tmp_path / "shared"
    unsafe.mkdir()
    os.chmod(unsafe, 0o777)
    res, err = _run(unsafe)
    assert "writable by group or others" in err
    assert not (unsafe / "kernels").exists()  # nothing written there


def test_cache_dir_owned_by_someone_else(tmp_path):
    if os.getuid() != 0:
        pytest.skip("needs root to give a directory away")
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, 12345, 12345)
    assert "owned by another user" in cache.check_dir(str(theirs))


def test_empty_setting_disables_the_disk_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACEJIT_CACHE_DIR", "")
    assert cache.cache_dir() is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert os.path.isdir(cache.module_dir())


def test_a_module_written_once_is_kept_by_the_next_run(tmp_path):
    """The file on disk (with comments) is recognised as the same code: a second writer
    keeps it, so Numba's cache beside it stays valid. Programs here emit run-time branches
    with comments (a matrix product of symbolic size; a while loop's growing tape)."""
    import tracejit as tj
    import tracejit.numpy as tnp
    from tracejit.lowering import lower_ir

    def mlp(w, x):
        return tnp.sum(tnp.tanh(x @ w) ** 2)

    def newton(c):
        return tj.lax.while_loop(lambda s: s[1] < 20, lambda s: (s[0] * c, s[1] + 1), (c, 0))[0]

    irs = [
        tj.make_ir(tj.grad(mlp))(np.ones((300, 300)), np.ones((300, 300))),
        tj.make_ir(tj.grad(newton))(1.01),
    ]
    for ir in irs:
        lowered = lower_ir(ir, "f")
        assert cache._strip_comments(lowered.source) == lowered.code
        path = cache.write_module(lowered, str(tmp_path))
        stamp = os.stat(path).st_mtime_ns
        assert cache.write_module(lowered, str(tmp_path)) == path
        assert os.stat(path).st_mtime_ns == stamp


def test_kernel_key_covers_the_runtime_it_calls(monkeypatch, tmp_path):
    """Numba inlines kernels.py / vmath.py / special.py / _threefry.py into each kernel
    and its disk cache does not notice when they change: their text is part of the key,
    so an upgraded runtime compiles afresh instead of loading stale machine code."""
    import tracejit as tj
    import tracejit.numpy as tnp
    from tracejit.lowering import source

    lowered = tj.jit(lambda x: tnp.tanh(x)).lower(np.ones(3)).entry.lower()
    fake = tmp_path / "vmath.py"
    fake.write_text("def vtanh(x): ...\n")
    keys = []
    try:
        monkeypatch.setattr(source, "_RUNTIME_FILES", (str(fake),))
        for text in ("def vtanh(x): ...\n", "def vtanh(x): return x\n"):
            fake.write_text(text)
            source.runtime_fingerprint.cache_clear()
            fresh = type(lowered)(**{k: getattr(lowered, k) for k in lowered.__dataclass_fields__})
            assert fresh.code == lowered.code
            keys.append(fresh.key)
    finally:
        monkeypatch.undo()
        source.runtime_fingerprint.cache_clear()
    assert keys[0] != keys[1] and lowered.key not in keys
