"""Work on other threads while the main thread stays ready for Ctrl-C.

scikit-learn's fits and NumPy's products run in C and do not look at signals,
so a Ctrl-C (SIGINT) waits for the running fit to end, and at exit Python
waits for every worker thread of a ``ThreadPoolExecutor``: a long K sweep took
12 s to stop. Here the work runs on daemon threads and the caller waits in
short slices, so a Ctrl-C raises ``KeyboardInterrupt`` at once; the threads
are left to be ended with the process, and no new piece of work starts after
it (the results, and the order they are computed in, are those of the same
calls made directly).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import TypeVar

__all__ = ["busy", "call", "imap"]

T = TypeVar("T")
R = TypeVar("R")

# how often a waiting caller lets Python look for a signal: short enough to feel immediate
_SLICE = 0.1
_workers: list[threading.Thread] = []


def busy() -> bool:
    """Whether a worker thread is still computing (after a Ctrl-C: a fit that C code is finishing).

    A process must not end normally then: Python's shutdown would free what a
    worker's C code is still using (it aborts with "double free"). The CLI ends
    the process at once instead (``os._exit``).
    """
    _workers[:] = [t for t in _workers if t.is_alive()]
    return bool(_workers)


def call(fn: Callable[[], R]) -> R:
    """``fn()`` on a daemon thread; the caller waits, and a Ctrl-C stops the wait at once.

    Called on another thread (a fit of the K sweep), ``fn`` runs right there: only
    the main thread sees signals, and the calling thread's settings (its OpenMP
    thread limit) stay in force.
    """
    if threading.current_thread() is not threading.main_thread():
        return fn()
    return next(imap(lambda _: fn(), [None], workers=1))


def imap(fn: Callable[[T], R], items: Iterable[T], *, workers: int) -> Iterator[R]:
    """``fn(item)`` for each item on ``workers`` daemon threads; the results in the items' order.

    When the caller stops (a Ctrl-C, an error, or it stops iterating), no item
    that has not started yet is started.
    """
    todo: deque[tuple[Future[R], T]] = deque((Future(), item) for item in items)
    futures = [future for future, _ in todo]
    lock = threading.Lock()
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            with lock:
                if not todo:
                    return
                future, item = todo.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(item))
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                future.set_exception(exc)

    for _ in range(max(1, min(workers, len(futures)))):
        thread = threading.Thread(target=work, name="segsql-fit", daemon=True)
        thread.start()
        _workers.append(thread)
    try:
        for future in futures:
            yield _wait(future)
    finally:
        stop.set()


def _wait(future: Future[R]) -> R:
    while True:
        try:
            return future.result(timeout=_SLICE)
        except TimeoutError:
            continue
