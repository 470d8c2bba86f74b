"""Shared CLI helpers: clear failures instead of tracebacks, progress bars."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import OperationalError

from gis.errors import GridmapError

console = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> None:
    console.print(f"[bold red]错误 (error):[/] {message}")
    raise typer.Exit(code)


def friendly(fn: F) -> F:
    """Turn domain errors (and a few environment ones) into one line and a non-zero exit."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except GridmapError as exc:
            fail(exc.message)
        except OperationalError as exc:
            fail(f"无法连接数据库 (cannot reach the database): {str(exc.orig).strip()[:300]}")
        except ValueError as exc:
            fail(str(exc), code=2)
        except KeyboardInterrupt:
            fail("已中断 (interrupted)", code=130)

    return wrapper  # type: ignore[return-value]


@contextmanager
def progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar driven by ``(label, done, total)`` callbacks."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("…", total=1)

        def update(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=max(total, 1))

        yield update
