"""Writing generated files so that a reader never sees half of one: temporary name, then rename."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(files: dict[Path, str]) -> list[Path]:
    """Write every file to a temporary name next to it, then rename them all into place.

    On an error no temporary file is left and no target is replaced, and the error names the file
    it was writing. The files get the permissions any new file would (mkstemp alone would make them 0600).
    """
    temporary: list[tuple[str, Path]] = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
            temporary.append((tmp, path))
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                    handle.write(text)
            except OSError as exc:  # e.g. a full disk: say which file (write() and close() name none)
                raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        for tmp, path in temporary:
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in temporary:
            Path(tmp).unlink(missing_ok=True)
        raise
    return list(files)


def _umask() -> int:
    """The process's umask, read without changing it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022
