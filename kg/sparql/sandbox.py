"""How a query process confines itself, once the graph is loaded.

- no core files;
- an address-space limit (``memory`` bytes on top of the loaded process: a runaway ORDER BY otherwise
  takes about 1 GB a second, and then allocation fails and the process ends);
- a CPU-time budget per query (so it ends itself even if nobody is left to kill it; :class:`CpuBudget`);
- no new file descriptors at all (``RLIMIT_NOFILE``): it cannot open a socket, so even a query that
  got past the SERVICE check could not connect anywhere;
- it dies with its parent (Linux ``PR_SET_PDEATHSIG``): a query process never outlives the API process
  that started it, even one killed with SIGKILL in the middle of a query (when the engine holds the
  GIL and no Python code of the process runs).
"""
from __future__ import annotations

import logging
import math
import os
import signal
import sys
import time
from contextlib import suppress

log = logging.getLogger("osteokg.sparql")

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> bool:
    """Ask the kernel to kill this process when its parent ends; end now if it already has.

    The kernel sends the signal when the *thread* that started this process ends, so the pool starts
    its processes from one long-lived thread. Returns whether the request was made (Linux only)."""
    made = False
    if sys.platform.startswith("linux"):
        with suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            made = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    if parent and os.getppid() != parent:  # the parent ended before the request was made
        os._exit(0)
    return made


def parent_alive(parent: int) -> bool:
    """Whether the process that started this one is still its parent (a backstop for non-Linux systems)."""
    return not parent or os.getppid() == parent


def confine(memory: int | None) -> None:
    """Limit this process: no core files, bounded address space, no new file descriptors."""
    try:
        import resource
    except ImportError:  # not a POSIX system: run unconfined
        return

    def lower(kind: int, soft: int, hard: int) -> None:
        try:
            _, current_hard = resource.getrlimit(kind)
            if current_hard != resource.RLIM_INFINITY:
                soft, hard = min(soft, current_hard), min(hard, current_hard)
            resource.setrlimit(kind, (soft, hard))
        except (ValueError, OSError) as error:
            log.warning("could not set resource limit %s: %s", kind, error)

    lower(resource.RLIMIT_CORE, 0, 0)
    if memory:  # on top of what the loaded process already maps (which varies with the machine)
        limit = address_space() + memory
        lower(resource.RLIMIT_AS, limit, limit)
    # The lowest free descriptor number becomes the limit: any new descriptor (a socket, a file)
    # would be at least that number, so none can be made. The pipe to the API process stays open.
    lowest = os.open(os.devnull, os.O_RDONLY)
    os.close(lowest)
    lower(resource.RLIMIT_NOFILE, lowest, lowest)


def address_space() -> int:
    """Bytes of address space this process maps now (Linux); 0 when unknown."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class CpuBudget:
    """The CPU budget of each query: before a query, at least ``seconds / 2`` and at most ``seconds`` more CPU
    time before the kernel ends this process. The limit is set again only when less than half of it is left
    (a clock read per query instead of three system calls); the pool's wall-clock limit is below half of
    the budget, so it always ends a long query first and the budget stays a backstop."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.until = 0.0  # the process CPU time at which the current limit ends it

    def before_query(self) -> None:
        if self.until - time.process_time() < self.seconds / 2:
            self.until = cpu_budget(self.seconds)


def cpu_budget(seconds: float) -> float:
    """Let this process use at most ``seconds`` more CPU time before the kernel ends it; the CPU time (in
    seconds) at which it will (infinite when no limit could be set)."""
    try:
        import resource
    except ImportError:
        return math.inf
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (ValueError, OSError):
        return math.inf
    return float(soft)
