"""Progress of the commands that run one worker per configuration (`zoo bench`, `zoo eval`,
`zoo check-backends`): a live bar on a terminal; in a log (`make bench` tees to .zoo/bench.log), one
plain line when a configuration starts (when there are several) and one when it ends, with its
outcome, the count done and an estimate of the time left."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from zoo._text import terminal, visible

Listener = Callable[[Any, Any], None]  # (spec, None) at its start, (spec, record) at its end


def label(spec: Any) -> str:
    """A configuration as a progress line names it: its key's fields, space separated."""
    return visible(spec.key.replace("|", " "))


def eta(elapsed_s: float, done: int, total: int) -> str:
    """Elapsed and an estimate of the time left, from the mean time per configuration so far."""
    left = elapsed_s / done * max(total - done, 0) if done else 0.0
    return f"{elapsed_s / 60:.1f} min elapsed, about {left / 60:.1f} min left"


def failed(record: Any) -> bool:
    """What a live bar prints above itself: a configuration that did not end ok."""
    from zoo.results.records import Status

    return bool(record.status != Status.OK)


@contextlib.contextmanager
def progress(
    command: str, total: int, outcome: Callable[[Any], str], alert: Callable[[Any], bool] = failed
) -> Iterator[Listener]:
    """The listener for `total` configurations; `outcome` says how one ended, `alert` whether a live bar
    prints it above itself."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(file=terminal(sys.stderr))  # its own escape codes; index names pass through visible
    if not console.is_terminal:
        started = time.monotonic()
        done = 0

        def plain(spec: Any, record: Any) -> None:
            nonlocal done
            if record is None:  # one configuration needs no start line: its end line says it all
                if total > 1:
                    print(f"{command}: start {label(spec)}", file=sys.stderr, flush=True)
                return
            done += 1
            print(
                f"{command}: end   {label(spec)}: {visible(outcome(record))} "
                f"[{done}/{total}, {eta(time.monotonic() - started, done, total)}]",
                file=sys.stderr,
                flush=True,
            )

        yield plain
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("starting", total=total)

        def live(spec: Any, record: Any) -> None:
            if record is None:
                bar.update(task, description=escape(label(spec)))
                return
            bar.advance(task)
            if alert(record):
                bar.console.print(f"[red]{escape(label(spec))}[/]: {escape(visible(outcome(record)))}")

        yield live
