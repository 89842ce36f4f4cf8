"""``ember.profiler``: a small wall-clock profiler with torch.profiler's interface.

ember has no operator-level tracing: ``profile`` records only the ``record_function`` blocks
that run inside it (their wall time, summed per label). ``key_averages().table()`` prints them,
``export_chrome_trace`` writes them as a Chrome trace, and ``schedule`` /
``on_trace_ready`` / ``tensorboard_trace_handler`` work as in torch.
"""

from __future__ import annotations

import json
import os
import socket
import time
from enum import Enum
from typing import Any, Callable, Iterable

__all__ = ["profile", "record_function", "ProfilerActivity", "ProfilerAction", "schedule",
           "tensorboard_trace_handler", "supported_activities", "kineto_available"]  # fmt: skip


class ProfilerActivity(Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4


def supported_activities() -> set[ProfilerActivity]:
    return {ProfilerActivity.CPU}


def kineto_available() -> bool:
    return False


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0) -> Callable[[int], ProfilerAction]:
    """The action for each step: skip ``skip_first`` steps, then cycles of ``wait`` idle,
    ``warmup`` and ``active`` recorded steps (the last one saves), ``repeat`` times (0: forever).
    """
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError("Invalid profiler schedule arguments")
    if warmup == 0:
        import warnings  # noqa: PLC0415

        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)

    def action(step: int) -> ProfilerAction:
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait:
            step += wait  # the first cycle starts with its warmup
        cycle = wait + warmup + active
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        pos = step % cycle
        if pos < wait:
            return ProfilerAction.NONE
        if pos < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if pos < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return action


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None,
                              use_gzip: bool = False) -> Callable[[Any], None]:
    """An ``on_trace_ready`` callback writing each trace to ``dir_name`` as TensorBoard reads it."""

    def handler(prof: profile) -> None:
        os.makedirs(dir_name, exist_ok=True)
        name = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        path = os.path.join(dir_name, f"{name}.{time.time_ns() // 1000000}.pt.trace.json")
        if use_gzip:
            path += ".gz"
        prof.export_chrome_trace(path)

    return handler


class _Event:
    __slots__ = ("name", "start_ns", "dur_ns")

    def __init__(self, name: str, start_ns: int, dur_ns: int) -> None:
        self.name, self.start_ns, self.dur_ns = name, start_ns, dur_ns


class FunctionEventAvg:
    """One row of ``key_averages()``: a label, its call count and its total wall time."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.count = 0
        self.cpu_time_total = 0.0  # microseconds, as torch

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / self.count if self.count else 0.0

    cpu_time_avg = cpu_time

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} cpu_time={_fmt_us(self.cpu_time)} "
                f"count={self.count}>")


def _fmt_us(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


class EventList(list):
    """Rows of a profile; ``table()`` formats them."""

    def table(self, sort_by: str | None = None, row_limit: int = 100, max_src_column_width: int = 75,
              max_name_column_width: int = 55, max_shapes_column_width: int = 80,
              header: str | None = None, top_level_events_only: bool = False) -> str:
        rows = list(self)
        if sort_by is not None:
            key = {"cpu_time_total": "cpu_time_total", "self_cpu_time_total": "cpu_time_total",
                   "cpu_time": "cpu_time", "count": "count"}.get(sort_by)
            if key is not None:
                rows.sort(key=lambda e: getattr(e, key), reverse=True)
        if row_limit > 0:
            rows = rows[:row_limit]
        width = max([len("Name")] + [len(e.key[:max_name_column_width]) for e in rows]) + 2
        cols = ("CPU total", "CPU time avg", "# of Calls")
        line = "-" * (width + 15 * len(cols))
        out = [header] if header else []
        out += [line, "Name".ljust(width) + "".join(c.rjust(15) for c in cols), line]
        for e in rows:
            out.append(e.key[:max_name_column_width].ljust(width)
                       + _fmt_us(e.cpu_time_total).rjust(15) + _fmt_us(e.cpu_time).rjust(15)
                       + str(e.count).rjust(15))
        out.append(line)
        total = sum(e.cpu_time_total for e in self)
        out.append(f"Self CPU time total: {_fmt_us(total)}")
        return "\n".join(out) + "\n"

    def key_averages(self) -> EventList:
        return self

    def total_average(self) -> FunctionEventAvg:
        avg = FunctionEventAvg("Total")
        for e in self:
            avg.count += e.count
            avg.cpu_time_total += e.cpu_time_total
        return avg


_active: list[profile] = []


class record_function:  # noqa: N801 - torch's name
    """Label a block (or, as a decorator, a function) so that profilers time it."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self.args = args
        self._start = 0

    def __enter__(self) -> record_function:
        self._start = time.perf_counter_ns()
        return self

    def __exit__(self, *exc: object) -> None:
        end = time.perf_counter_ns()
        for prof in _active:
            if prof._recording:
                prof._events.append(_Event(self.name, self._start, end - self._start))

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        import functools  # noqa: PLC0415

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)

        return wrapper


class profile:  # noqa: N801 - torch's name
    """Context manager recording the ``record_function`` blocks run inside it.

    Examples::

        >>> import ember
        >>> from ember.profiler import profile, record_function
        >>> with profile() as prof:
        ...     with record_function("matmul"):
        ...         _ = ember.ones(4, 4) @ ember.ones(4, 4)
        >>> [e.key for e in prof.key_averages()]
        ['matmul']
    """

    def __init__(self, *, activities: Iterable[Any] | None = None,
                 schedule: Callable[[int], ProfilerAction] | None = None,
                 on_trace_ready: Callable[..., Any] | None = None, record_shapes: bool = False,
                 profile_memory: bool = False, with_stack: bool = False, with_flops: bool = False,
                 with_modules: bool = False, experimental_config: Any = None,
                 execution_trace_observer: Any = None, acc_events: bool = False,
                 use_cuda: bool | None = None, custom_trace_id_callback: Any = None,
                 post_processing_timeout_s: float | None = None) -> None:
        self.activities = set(activities) if activities is not None else supported_activities()
        self.schedule = schedule
        self.on_trace_ready = on_trace_ready
        self.record_shapes, self.profile_memory, self.with_stack = (record_shapes, profile_memory,
                                                                    with_stack)
        self.acc_events = acc_events
        self.step_num = 0
        self._events: list[_Event] = []
        self._saved: list[_Event] = []
        self._recording = False
        self._t0 = time.perf_counter_ns()

    def _action(self) -> ProfilerAction:
        return ProfilerAction.RECORD if self.schedule is None else self.schedule(self.step_num)

    def start(self) -> None:
        _active.append(self)
        self._recording = self._action() in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)

    def stop(self) -> None:
        if self in _active:
            _active.remove(self)
        if self._recording:
            self._finish_trace()
        self._recording = False

    def _finish_trace(self) -> None:
        self._saved = self._events
        self._events = [] if not self.acc_events else list(self._events)
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def step(self) -> None:
        """Mark the end of a training step; with a schedule, saves a trace after its last one."""
        prev = self._action()
        self.step_num += 1
        now = self._action()
        if prev == ProfilerAction.RECORD_AND_SAVE:
            self._finish_trace()
        elif prev in (ProfilerAction.NONE, ProfilerAction.WARMUP):
            self._events = []
        self._recording = now in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def events(self) -> list[_Event]:
        return self._saved if self._saved or not self._events else self._events

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        """One row per label, in first-seen order."""
        rows: dict[str, FunctionEventAvg] = {}
        for e in self.events():
            row = rows.get(e.name)
            if row is None:
                row = rows[e.name] = FunctionEventAvg(e.name)
            row.count += 1
            row.cpu_time_total += e.dur_ns / 1000
        return EventList(rows.values())

    def export_chrome_trace(self, path: str) -> None:
        """Write the recorded blocks as a Chrome trace (chrome://tracing, Perfetto)."""
        trace = {"traceEvents": [
            {"name": e.name, "ph": "X", "cat": "user_annotation", "pid": os.getpid(), "tid": 0,
             "ts": (e.start_ns - self._t0) / 1000, "dur": e.dur_ns / 1000}
            for e in self.events()]}
        data = json.dumps(trace).encode()
        if path.endswith(".gz"):
            import gzip  # noqa: PLC0415

            data = gzip.compress(data)
        with open(path, "wb") as f:
            f.write(data)
