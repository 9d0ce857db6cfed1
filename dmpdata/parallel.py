"""Where chunks run: in this process, in a pool of local processes, or on a dask.distributed cluster.

`pool(engine, workers, n_tasks, scheduler)` yields `run(fn, calls, on_done) -> results in call order`.
The engine never changes what a chunk computes (each chunk depends only on the scenario and its
index), so every engine and worker count writes the same bytes.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dmpdata.errors import DatasetError

__all__ = [
    "ENGINES",
    "WORKER_THREADS_ENV",
    "available_cores",
    "leave_if_bootstrapping",
    "pool",
    "worker_threads",
]

ENGINES = ("local", "dask")
Run = Callable[[Callable[..., Any], Sequence[tuple], Callable[[int, int], None]], list]


def available_cores() -> int:
    """Cores this process may use (the affinity mask where the OS has one)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(os.cpu_count() or 1, 1)


def leave_if_bootstrapping() -> None:
    """End this process quietly when it is a worker still importing the user's main script.

    A worker process starts by re-importing the `__main__` module of its parent (spawn). When that script calls
    dmpdata at top level (no `if __name__ == "__main__":` guard), the worker would start the same job again: it
    stops here instead, before touching any file, and its parent reports the cause in one line.
    """
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise SystemExit(1)


def _inline(fn, calls, on_done) -> list:
    results = []
    for i, args in enumerate(calls):
        results.append(fn(*args))
        on_done(i + 1, len(calls))
    return results


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which stops them (no traceback from every worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(executor: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now (an interrupted or failed run keeps nothing)."""
    processes = list(getattr(executor, "_processes", {}).values())  # no public way before Python 3.14
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


def _broken_pool_message(workers: int) -> str:
    """What to tell the user when a worker process died before returning (nothing is written then)."""
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    if script and not getattr(
        main, "__spec__", None
    ):  # `python script.py`: the usual cause is the missing guard
        return (
            f"a worker process failed to start or died: worker processes re-import {Path(script).name}, so its "
            f'code must run under `if __name__ == "__main__":` (or pass workers=1); if it is guarded, a worker '
            f"ran out of memory or was killed (try fewer workers)"
        )
    return (
        f"a worker process died before finishing its chunk (out of memory or killed?); try fewer workers than "
        f"{workers}, or workers=1"
    )


# A worker runs chunk after chunk with the same working set. By default glibc hands numpy's large freed arrays back
# to the OS and faults them in again, zeroed, for the next chunk (a seventh of generation's CPU time went to the
# kernel). The workers dmpdata starts keep them: arrays up to 32 MB (glibc's largest threshold) come from the heap,
# whose top is not trimmed. Measured at 200,000 patients: generation ~10 % faster, peak RSS of the process tree
# ~200 MB higher. Polars' jemalloc returns its freed pages after 0.5 s (the `dirty_decay_ms` polars sets), less than
# a chunk takes, so each chunk faulted its frames in again (a fifth of generation's CPU time was still the kernel's):
# the workers keep them for 10 s (jemalloc's own default), an option polars' import appends to its own.
# Measured at 1 M patients, runs alternating without and with it: generation 66.3 / 73.5 s -> 60.5 / 61.5 s
# (kernel time 19.6 / 22.1 s -> 8.6 / 7.9 s), peak RSS of the process tree ~+100 MB; validation 42.1 -> 40.8 s.
WORKER_ALLOCATOR_ENV = {
    "MALLOC_MMAP_THRESHOLD_": str(32 * 2**20),
    "MALLOC_TRIM_THRESHOLD_": str(8 * 2**30),
    "_RJEM_MALLOC_CONF": "dirty_decay_ms:10000",
}
# Options a library writes into a variable itself, when the user set nothing: `import polars` puts these into
# _RJEM_MALLOC_CONF (polars 2; the thp ones with POLARS_THP=1). A value made of them only is not the user's.
_PRESET_OPTIONS = {
    "_RJEM_MALLOC_CONF": frozenset(
        {"dirty_decay_ms:500", "muzzy_decay_ms:1000", "thp:always", "metadata_thp:always"}
    ),
}


def _user_set(name: str) -> bool:
    value = os.environ.get(name)
    return value is not None and not set(value.split(",")) <= _PRESET_OPTIONS.get(name, frozenset())


# Each worker's share of the cores, for the thread pools it starts itself (DuckDB's: `worker_threads`).
WORKER_THREADS_ENV = "DMPDATA_WORKER_THREADS"


def worker_threads() -> int | None:
    """Threads for a thread pool this process starts (a DuckDB connection's): its share of the cores when it is a
    worker of the local pool, None elsewhere (the library's default, every core). Two workers each running DuckDB on
    every core of a 2-core machine made validation 3-5 % slower than one thread each."""
    value = os.environ.get(WORKER_THREADS_ENV, "")
    return max(int(value), 1) if value.isdigit() else None


def _worker_env(workers: int) -> dict[str, str]:
    """The variables to set for the worker processes (allocator, polars' and DuckDB's threads); the user's own are
    left."""
    env = {name: value for name, value in WORKER_ALLOCATOR_ENV.items() if not _user_set(name)}
    share = str(max(available_cores() // workers, 1))
    if "POLARS_MAX_THREADS" not in os.environ:  # each worker's share of the cores for polars' thread pool
        env["POLARS_MAX_THREADS"] = share
    env[WORKER_THREADS_ENV] = share
    return env


def _start_ignoring_interrupts(executor: ProcessPoolExecutor, workers: int) -> None:
    """Start every worker now with SIGINT ignored from its first instruction (exec keeps an ignored signal, and
    Python then installs no KeyboardInterrupt handler). The pool would start them one by one as tasks come, and a
    Ctrl-C reaching one still importing, before `_ignore_interrupts` runs, printed its traceback."""
    if threading.current_thread() is not threading.main_thread():  # signal handlers belong to the main thread
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for _ in range(workers):  # each submit starts a process while none is idle
            executor.submit(os.getpid)
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _processes(workers: int) -> Iterator[Run]:
    # spawn: a fresh interpreter per worker (polars and threads do not survive fork safely).
    executor = ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_interrupts
    )
    # The workers inherit the environment: what they need is set while the pool lives (only unset variables).
    env = _worker_env(workers)
    previous = {name: os.environ.get(name) for name in env}
    os.environ.update(env)

    def run(fn, calls, on_done) -> list:
        futures = [executor.submit(fn, *args) for args in calls]
        index = {f: i for i, f in enumerate(futures)}
        results: list = [None] * len(futures)
        pending, done_count = set(futures), 0
        try:
            while pending:
                # Each task as it ends: its progress, and a worker's error at once. (FIRST_EXCEPTION waited for every
                # task when none failed: progress bars stood still until the end.)
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    results[index[f]] = f.result()  # re-raises a worker's error here
                    done_count += 1
                on_done(done_count, len(futures))
        except BrokenProcessPool:
            for f in pending:
                f.cancel()
            raise DatasetError(_broken_pool_message(workers)) from None
        except BaseException:
            for f in pending:
                f.cancel()
            raise
        return results

    try:
        _start_ignoring_interrupts(executor, workers)  # with the environment above
        yield run
    except BaseException:
        _stop(executor)
        raise
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    executor.shutdown(wait=True)


@contextmanager
def _dask(workers: int, scheduler: str | None) -> Iterator[Run]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise DatasetError(
            "--engine dask needs dask.distributed: install dmpdata[dask] (pip install 'dmpdata[dask]')"
        ) from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="20s")
        else:
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=40,
            )
            client = Client(cluster)
    except (OSError, TimeoutError) as err:
        if cluster is not None:
            cluster.close()
        raise DatasetError(f"cannot reach the dask scheduler {scheduler!r}: {err}") from None

    def run(fn, calls, on_done) -> list:
        futures = [client.submit(fn, *args, pure=False) for args in calls]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list = [None] * len(futures)
        try:
            for n, f in enumerate(as_completed(futures), start=1):
                results[index[f.key]] = f.result()
                on_done(n, len(futures))
        except BaseException:
            client.cancel(futures)
            raise
        return results

    try:
        yield run
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextmanager
def pool(engine: str, workers: int | None, n_tasks: int, scheduler: str | None = None) -> Iterator[Run]:
    """A runner for `n_tasks` independent tasks on `engine` with `workers` processes (None: every core)."""
    leave_if_bootstrapping()
    if engine not in ENGINES:
        raise DatasetError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    if workers is not None and workers < 1:
        raise DatasetError(f"--workers must be at least 1 (got {workers})")
    if scheduler and engine != "dask":
        raise DatasetError("--scheduler only applies with --engine dask")
    wanted = workers or available_cores()
    if engine == "dask":
        with _dask(min(wanted, max(n_tasks, 1)), scheduler) as run:
            yield run
        return
    if min(wanted, n_tasks) <= 1:
        yield _inline
        return
    with _processes(min(wanted, n_tasks)) as run:
        yield run
