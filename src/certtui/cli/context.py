"""What every sub-command shares: the context object, its pass decorator and the async runner."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import click

from certtui.errors import UsageError

if TYPE_CHECKING:
    from certtui.cli.demo import DemoStandin
    from certtui.config import Settings

T = TypeVar("T")

READ_ONLY_SOURCES = "--read-only, CERTTUI_READ_ONLY or read_only in the config file"


class Context:
    """What every sub-command receives: the resolved settings."""

    def __init__(
        self, settings: Settings, *, demo: bool = False, standin: DemoStandin | None = None
    ) -> None:
        self.settings = settings
        self.demo = demo
        self.standin = standin  # --demo's stand-in, started by a command that calls Bedrock


pass_context = click.make_pass_decorator(Context)


class Command(click.Command):
    """A certtui command that declares whether it writes to the database.

    `writes` has no default, so a new command cannot leave it out; a read-only invocation
    refuses a writing command before it runs (the database would refuse it anyway: read-only
    invocations open it read-only at the driver). A command that writes only with some options
    (not with ``--dry-run``) gives a function of its parsed parameters.

    `bedrock` says what a command needs of Bedrock under ``--demo``: ``"catalog"`` (the
    stand-in up and the demo catalog synced first), ``"endpoint"`` (the stand-in up), or
    None (nothing: the stand-in is never started for it).
    """

    def __init__(
        self,
        *args: Any,
        writes: bool | Callable[[Mapping[str, Any]], bool],
        bedrock: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.writes = writes
        self.bedrock = bedrock

    def invoke(self, ctx: click.Context) -> Any:
        writes = self.writes(ctx.params) if callable(self.writes) else self.writes
        if writes:
            shared = ctx.find_object(Context)
            if shared is not None and shared.settings.read_only:
                raise UsageError(
                    f"`{ctx.command_path}` writes to the database and this invocation is "
                    f"read-only ({READ_ONLY_SOURCES}): drop read-only to run it"
                )
        shared = ctx.find_object(Context)
        if self.bedrock and shared is not None and shared.standin is not None:
            if self.bedrock == "catalog":
                from certtui.cli.demo import sync_demo_catalog

                run_async(sync_demo_catalog(shared.settings, shared.standin))
            else:
                shared.standin.wait()
        return super().invoke(ctx)


class Group(click.Group):
    """A group of certtui commands: each declares ``writes=``."""

    command_class = Command


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine to completion."""
    import asyncio  # not at module level: `certtui --help` should not pay for it

    return asyncio.run(coroutine)
