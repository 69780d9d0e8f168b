"""What every sub-command shares: the context object, its pass decorator and the async runner."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from certtui.config import Settings

T = TypeVar("T")


class Context:
    """What every sub-command receives: the resolved settings."""

    def __init__(self, settings: Settings, *, demo: bool = False) -> None:
        self.settings = settings
        self.demo = demo


pass_context = click.make_pass_decorator(Context)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine to completion."""
    import asyncio  # not at module level: `certtui --help` should not pay for it

    return asyncio.run(coroutine)
