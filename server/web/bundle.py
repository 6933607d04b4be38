"""The field app's bundles: its modules, its service worker and its stylesheet, each made
into one minified file by esbuild (``web/build.mjs``; esbuild is the npm package in the root
package.json, installed by ``make install``).

Over a 2G link every round trip counts: 36 modules are six rounds over HTTP/1.1's six
connections, one file is one. The modules in web/static/js stay what developers edit (and
what the browser tests import one by one); the bundles are made from them.

A build lands in ``web/static/build/<digest>/`` where ``<digest>`` hashes every input (the
modules, the worker, the stylesheet, the build script and the lock file that pins esbuild),
so it can never be older than its sources: an edit changes the digest, and the next request
that needs the bundle builds it again (about half a second). The folder is written under a
temporary name and renamed when complete, so a process never reads a half-written build
and two processes building at once both end up with the same folder. Git ignores
web/static/build/.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
STATIC_DIR = ROOT / "web" / "static"
BUILD_DIR = STATIC_DIR / "build"
BUILD_SCRIPT = ROOT / "web" / "build.mjs"
LOCK_FILE = ROOT / "package-lock.json"
ESBUILD = ROOT / "node_modules" / "esbuild"
#: what the bundles are made of (relative to web/static)
SOURCE_GLOBS = ("js/**/*.js", "sw.js", "css/app.css")
#: the files web/build.mjs writes
OUTPUTS = ("app.js", "sw.js", "app.css")
#: older builds kept next to the current one (a page still open may ask for its files)
KEEP_OLD = 3
BUILD_TIMEOUT_S = 120

log = logging.getLogger(__name__)


class BundleError(RuntimeError):
    """The bundles could not be built (esbuild missing or failing)."""


@dataclass(frozen=True)
class Bundle:
    """One complete build: its folder under web/static/build."""

    folder: Path

    def path(self, name: str) -> Path:
        return self.folder / name

    def static_path(self, name: str) -> str:
        """The file's path under web/static (what ``static_url`` takes)."""
        return (self.folder / name).relative_to(STATIC_DIR).as_posix()


def source_files() -> list[Path]:
    found: set[Path] = set()
    for pattern in SOURCE_GLOBS:
        found.update(p for p in STATIC_DIR.glob(pattern) if p.is_file())
    found.update(p for p in (BUILD_SCRIPT, LOCK_FILE) if p.is_file())
    return sorted(found)


Signature = tuple[tuple[str, int, int], ...]


def files_signature(paths: list[Path]) -> Signature:
    """(path, mtime, size) of each file: cheap to take on every call, and it changes
    whenever a file does, so the digest below is only recomputed then."""
    out = []
    for path in paths:
        stat = path.stat()
        out.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(out)


@lru_cache(maxsize=16)
def files_digest(signature: Signature) -> str:
    """A hash of the files' names (relative to the repository) and contents."""
    digest = hashlib.sha256()
    for name, _mtime, _size in signature:
        path = Path(name)
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _signature() -> Signature:
    return files_signature(source_files())


_lock = threading.Lock()


def bundle() -> Bundle:
    """The build of the sources as they are now, made first if there is none yet."""
    for _attempt in range(3):
        signature = _signature()
        folder = BUILD_DIR / files_digest(signature)
        if folder.is_dir():
            return Bundle(folder)
        with _lock:
            if folder.is_dir():
                return Bundle(folder)
            if _build(folder, signature):
                _prune(folder)
                return Bundle(folder)
    raise BundleError("the field app's sources kept changing while they were being built")


def _build(folder: Path, signature: tuple[tuple[str, int, int], ...]) -> bool:
    """Run web/build.mjs into a temporary folder and rename it ``folder``. False when a
    source changed during the build (its output would not match the digest)."""
    node = shutil.which("node")
    if node is None or not (ESBUILD / "package.json").is_file():
        raise BundleError(
            "esbuild is not installed: run `make install` (it needs Node.js and npm), "
            "which builds the field app's bundle"
        )
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=BUILD_DIR))
    try:
        proc = subprocess.run(
            [node, str(BUILD_SCRIPT), str(tmp)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
        if proc.returncode != 0:
            raise BundleError(f"web/build.mjs failed:\n{proc.stdout}{proc.stderr}")
        missing = [name for name in OUTPUTS if not (tmp / name).is_file()]
        if missing:
            raise BundleError(f"web/build.mjs wrote no {', '.join(missing)}")
        if _signature() != signature:
            return False
        tmp.chmod(0o755)
        try:
            tmp.rename(folder)
        except OSError:
            if not folder.is_dir():  # not another process's identical build: a real error
                raise
        log.info("built the field app's bundle %s", folder.name)
        return True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _prune(current: Path) -> None:
    """Remove all but the newest few older builds (and temporary folders left by a crash
    more than an hour ago)."""
    builds = [p for p in BUILD_DIR.iterdir() if p.is_dir() and p != current]
    old = sorted((p for p in builds if not p.name.startswith(".")), key=_mtime, reverse=True)
    now_ns = _mtime(current)
    stale_tmp = [
        p for p in builds if p.name.startswith(".tmp-") and now_ns - _mtime(p) > 3600 * 10**9
    ]
    for path in [*old[KEEP_OLD:], *stale_tmp]:
        shutil.rmtree(path, ignore_errors=True)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def warm_bundle() -> None:
    """Build at startup when needed, so no request waits for it; a failure is logged (the
    pages that need the bundle report it)."""
    try:
        bundle()
    except (BundleError, OSError, subprocess.SubprocessError) as exc:
        log.error("the field app's bundle could not be built: %s", exc)
