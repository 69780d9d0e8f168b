"""The certtui application: data, live updates, read-only monitoring, global bindings."""

from __future__ import annotations

import asyncio
import gc
import signal
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer

from certtui.config import Settings
from certtui.domain import glyphs
from certtui.domain.events import (
    EngineEvent,
    JobProgress,
    JobStateChanged,
    LogLine,
    UnitStateChanged,
)
from certtui.domain.text import plural, safe_text
from certtui.errors import CerttuiError
from certtui.paths import styles_dir
from certtui.store.opening import Database, translate_error
from certtui.tui.actions import ACTIONS, MUTATING_ACTIONS, bindings
from certtui.tui.base import DataChanged, TopBar
from certtui.tui.data import (
    READ_ERRORS,
    JobView,
    Snapshot,
    add_job,
    apply_job_event,
    apply_unit_events,
    load_job,
    load_jobs,
    load_snapshot,
    mark_regressed,
    regressed_cells,
)
from certtui.tui.exporting import COPIED_FILE, ExportScope
from certtui.tui.screens.jobs import JobsScreen
from certtui.tui.screens.loading import LoadingScreen
from certtui.tui.screens.matrix import MatrixScreen
from certtui.tui.screens.models import ModelsScreen
from certtui.tui.screens.workers import WorkersScreen
from certtui.tui.summary import fit_top_bar

if TYPE_CHECKING:
    from textual.widget import AwaitMount

    from certtui.engine.planning import JobRequest
    from certtui.store.sessions import Session

LIVE_REPAINT_SECONDS = 0.25  # engine events are applied at most four times a second
REGRESSED_EVERY = 30.0  # seconds between reads of which cells regressed (a history query)
STOP_SIGNALS = (signal.SIGHUP, signal.SIGTERM)

T = TypeVar("T")


class CerttuiApp(App[None]):
    """Models, matrix, jobs and result detail over one database."""

    TITLE = "certtui"
    MODES = {  # noqa: RUF012
        "models": ModelsScreen, "matrix": MatrixScreen, "jobs": JobsScreen,
        "workers": WorkersScreen,
    }  # fmt: skip
    CSS_PATH = styles_dir() / "certtui.tcss"
    BINDINGS = bindings(
        "screen.models", "screen.matrix", "screen.jobs", "screen.workers", "app.help", "app.quit",
        "app.freeze", "app.unfreeze",
        "app.reload",
    )  # fmt: skip

    def __init__(
        self,
        database: Database,
        *,
        service: Any = None,
        read_only: bool = False,
        refresh_seconds: float = 2.0,
        simulated: bool = False,
        start_mode: str = "matrix",
        live: Any = None,
        catalog_sync: Callable[[], None] | None = None,
        settings: Settings | None = None,
        keymap: dict[str, str] | None = None,
    ) -> None:
        self._switching = False  # inside switch_mode (see delay_update)
        super().__init__()
        if keymap:
            self.set_keymap(keymap)  # the operator's keymap.toml (tui/keymap.py)
        self.settings = settings or getattr(service, "settings", None) or Settings()
        # --demo: waits (blocking, so in a thread) until the stand-in serves; then the catalog
        # is synced in the background, after the first paint.
        self.catalog_sync = catalog_sync
        self.sync_progress: str | None = None
        self.database = database
        # Other processes' transitions as events (engine.live.LiveEvents, PostgreSQL only):
        # while it is connected nothing polls the database.
        self.live = live
        self.service = None if read_only else service
        self.read_only = read_only or service is None
        self.refresh_seconds = refresh_seconds
        self.simulated = simulated
        self.start_mode = start_mode
        self.snapshot = Snapshot()
        self._regressed: set[tuple[str, str]] = set()  # cells marked ↓, read from the history
        self._regressed_at = -REGRESSED_EVERY
        self.jobs: list[JobView] = []
        self.progress: dict[str, JobProgress] = {}
        self.refresh_paused = False
        self.last_refreshed: datetime | None = None
        self.loaded = False
        self.data_version = 0  # goes up whenever the data the screens show changes
        self.reloads = 0  # whole-database reads so far; engine events never cause one
        self._pending_units: dict[tuple[str, str], UnitStateChanged] = {}
        self._pending_jobs: dict[str, JobStateChanged | JobProgress] = {}
        self._fetching: set[str] = set()
        self._reads: set[asyncio.Task[Any]] = set()
        self._read_problem: str | None = None
        self._others_live: set[str] = set()
        self._poll_timer: Timer | None = None  # the monitor's next poll, when one is due
        self._follow_timer: Timer | None = None  # the read-write app's look at other jobs
        self._follow_paused = False
        self.stopped_by: str | None = None  # the signal that ended the session (SIGHUP…)
        self.left_running: list[str] = []  # jobs a signal left to their own process

    # Modes and layout ---------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return LoadingScreen()

    def on_mount(self) -> None:
        relax_collector()
        self._catch_stop_signals()
        if self.service is not None:
            self.service.subscribe(self._on_engine_event)
            if not getattr(self.service, "follows_database", False):
                # A detached engine's service follows every job in the database already.
                self._follow_paused = self.live_connected
                self._follow_timer = self.set_interval(
                    self.refresh_seconds, self._follow_other_processes, pause=self._follow_paused
                )
        if self.live is not None:
            self.live.subscribe(self._on_engine_event)
            self.live.watch(self._live_state)
        if self.service is not None or self.live is not None:
            self.set_interval(LIVE_REPAINT_SECONDS, self._apply_engine_events)
        self.reload()

    @property
    def live_connected(self) -> bool:
        """Whether other processes' transitions arrive as events now (no polling needed)."""
        return self.live is not None and self.live.connected

    @property
    def polling(self) -> bool:
        """Whether a timer that reads the database for other processes' changes is running."""
        return self._poll_timer is not None or (
            self._follow_timer is not None and not self._follow_paused
        )

    def _live_state(self, connected: bool) -> None:
        # Called from the listener's task: act in the app's own context (its timers need it).
        if self.is_running:
            self.call_later(self._follow_live_state, connected)

    def _follow_live_state(self, connected: bool) -> None:
        """The listener connected (stop polling, catch up once) or dropped (poll again)."""
        if not self.is_running:
            return
        if connected:
            if self._poll_timer is not None:
                self._poll_timer.stop()
                self._poll_timer = None
            if self._follow_timer is not None:
                self._follow_timer.pause()
                self._follow_paused = True
            if self.loaded:
                self.reload()  # what was committed while nobody listened
        else:
            if self._follow_timer is not None:
                self._follow_timer.resume()
                self._follow_paused = False
            self._schedule_poll()
        self._update_top_bar()

    def top_bar_text(self, width: int | None = None) -> str:
        """What the top bar says (markup), fitted to ``width`` cells when given."""
        badges = ["[reverse] READ-ONLY [/]" if self.read_only else "read-write"]
        if self.simulated:
            badges.append("[reverse] SIMULATED [/]")
        if self.sync_progress:
            badges.append(self.sync_progress)
        if self.read_only:
            none = glyphs.current().none
            shown = self.last_refreshed.strftime("%H:%M:%S") if self.last_refreshed else none
            badges.append(f"refreshed {shown}" + (" (paused)" if self.refresh_paused else ""))
            if self.live_connected and not self.refresh_paused:
                badges.append("live")
        return fit_top_bar(self.database.target.describe(), badges, width)

    def _update_top_bar(self) -> None:
        for bar in self.screen.query(TopBar):
            bar.update(self.top_bar_text())

    # Data ---------------------------------------------------------------------------------

    async def read(self, query: Callable[[Session], Awaitable[T]]) -> T:
        """Run one read of the database to its end, even if the worker that asked is cancelled.

        A query cancelled half-way (workers are cancelled when the app quits) can leave an
        aiosqlite connection whose close never finishes, and the event loop then never shuts
        down; so reads are shielded, and the app waits for them before it goes.
        """

        async def run() -> T:
            async with self.database.reads() as session:
                return await query(session)

        task = asyncio.ensure_future(run())
        self._reads.add(task)
        task.add_done_callback(self._read_done)
        return await asyncio.shield(task)

    def _read_done(self, task: asyncio.Task[Any]) -> None:
        self._reads.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: whoever asked may have been cancelled meanwhile

    async def on_unmount(self) -> None:
        restore_collector()
        self._release_stop_signals()
        if self._reads:
            await asyncio.wait(self._reads)

    @work(exclusive=True, group="reload")
    async def reload(self) -> None:
        """Read everything from the database, then tell the screens (never piles up)."""
        if not self.is_running:
            return

        async def everything(session: Session) -> tuple[Snapshot, list[JobView]]:
            return await load_snapshot(session), await load_jobs(session)

        try:
            snapshot, jobs = await self.read(everything)
        except READ_ERRORS as exc:
            # A database restart or a network blip must not end the session: say so, go on.
            if self.is_running:
                self.report_read_error(exc)
                self._schedule_poll(retry=True)  # live or not: what is shown is not current
            return
        if not self.is_running:  # quitting: the screens are gone
            return
        if self._read_problem is not None:
            self._read_problem = None
            self.notify("the database can be read again")
        self.reloads += 1
        mark_regressed(snapshot, self._regressed)
        self.snapshot, self.jobs = snapshot, jobs
        self.last_refreshed = datetime.now()
        first = not self.loaded
        self.loaded = True
        if first:
            self.switch_mode(self.start_mode)
        self._broadcast(None, jobs=True)
        self._update_top_bar()
        self._schedule_poll()
        if time.monotonic() - self._regressed_at > REGRESSED_EVERY:
            # The history is read once the snapshot is shown, and not on every poll.
            self._regressed_at = time.monotonic()
            self.mark_regressions()
        if first:
            # Hundreds of thousands of long-lived objects now exist (tables, caches): move them
            # out of the collector's way so full collections stop pausing the interface.
            self.call_after_refresh(quiet_collector)
            self.call_after_refresh(self.build_screens_ahead)
            if self.service is not None:
                self.call_after_refresh(self.recover)
                if self.catalog_sync is not None:
                    self.call_after_refresh(self.sync_catalog)

    def switch_mode(self, mode: str) -> AwaitMount:
        """Textual's switch, without the 50 ms of repaints it holds back to hide the change.

        Textual holds repaints (``delay_update``) until a timer ends them; with the loop busy
        (the matrix filled, the other screens built) the timer fired late and the first paint
        of the matrix came out 0.2-0.3 s after it was drawn, and each switch waited for it too.
        certtui's screens are built and filled before they are shown: nothing to hide.
        """
        self._switching = True
        try:
            return super().switch_mode(mode)
        finally:
            self._switching = False

    def delay_update(self, delay: float = 0.05) -> None:
        if not self._switching:  # the command palette's still holds repaints as Textual does
            super().delay_update(delay)

    def build_screens_ahead(self) -> None:
        """Build and fill the other main screens once the first is up, so no key waits for it.

        Each is switched to and back within one batch: nothing of it is drawn, the terminal
        keeps showing the first screen, and its table is filled from the data read already.
        """
        current = self.current_mode
        if not self.is_running or current not in self.MODES or len(self.screen_stack) > 1:
            return  # a dialog or detail is open: building now would disturb it
        with self.batch_update():
            for mode in self.MODES:
                if mode != current:
                    self.switch_mode(mode)
            self.switch_mode(current)

    @work(exclusive=True, group="sync")
    async def sync_catalog(self) -> None:
        """Sync the catalog from --demo's stand-in once it is up, showing how far it got."""
        if self.catalog_sync is None or self.service is None:
            return
        regions = list(self.service.settings.regions)
        done: list[str] = []

        def show(text: str | None) -> None:
            self.sync_progress = text
            self._update_top_bar()

        def on_region(region: str, answered: bool) -> None:
            done.append(region)
            show(f"syncing catalog {len(done)}/{len(regions)} regions")

        show(f"starting the stand-in{glyphs.current().ellipsis}")
        try:
            await asyncio.to_thread(self.catalog_sync)
            await self.service.load_engine()
            show(f"syncing catalog 0/{len(regions)} regions")
            outcome = await self.service.sync(regions, on_region=on_region)
        except Exception as exc:
            show(None)
            self.notify(safe_text(f"catalog sync failed: {exc}"), severity="error",
                        timeout=8, markup=False)  # fmt: skip
            return
        show(None)
        self.notify(f"catalog synced: {outcome.models_seen} models in "
                    f"{len(outcome.regions_synced)} regions")  # fmt: skip
        self.reload()

    @work(exclusive=True, group="regressed")
    async def mark_regressions(self) -> None:
        """Read which cells regressed since their verdict before, and mark them."""
        try:
            regressed = await self.read(regressed_cells)
        except READ_ERRORS as exc:
            if self.is_running:
                self.report_read_error(exc)
            return
        if not self.is_running:
            return
        self._regressed = regressed
        changed = mark_regressed(self.snapshot, regressed)
        if changed:
            self._broadcast(changed, jobs=False)

    @work(group="recover")
    async def recover(self) -> None:
        """Pause the jobs a dead process left running, once the first screen is up."""
        try:
            recovered = await self.service.recover()
        except READ_ERRORS as exc:
            self.report_read_error(exc)
            return
        if recovered:
            count = len(recovered)
            self.notify(
                f"{plural(count, 'job')} left running by a process that stopped "
                "now paused: resume it from the Jobs screen (3, then p)",
                timeout=8,
            )
            self.reload()

    @work(exclusive=True, group="follow")
    async def _follow_other_processes(self) -> None:
        """Show the jobs other processes run (a cron `certtui run`), as a monitor does.

        Engine events keep the screens current for this session's jobs; a job another process
        runs is seen only in the database. While the database says such a job is live,
        everything is read again every ``refresh_seconds``, and once more when that job
        stops; otherwise this costs one small query.
        """
        if not self.loaded or self.service is None:
            return
        try:
            jobs = await self.read(load_jobs)
        except READ_ERRORS:
            return  # the next reload says what is wrong
        ours = set(self.service.running)
        others = {job.job_id for job in jobs if job.live and job.job_id not in ours}
        if others or self._others_live:
            self._others_live = others
            self.reload()

    def catch_up_after_control(self, job_id: str, *, ours: bool) -> None:
        """Show the effect of a pause, resume or cancel (``ours``: this session runs the job)."""
        # Events tell of a job this session runs; any other job (another process's, or one
        # nobody runs) changed only in the database — which a detached engine's service
        # follows for every job already.
        if not ours and not getattr(self.service, "follows_database", False):
            self.reload()

    def report_read_error(self, exc: BaseException) -> None:
        """Say that the database cannot be read (once per problem, not once per poll)."""
        problem = str(translate_error(exc, self.database.target))
        if problem != self._read_problem:
            retry = "retrying" if self.read_only else "ctrl+r to read again"
            message = safe_text(f"{problem} ({retry})")
            self.notify(message, severity="warning", timeout=8, markup=False)
        self._read_problem = problem

    def _schedule_poll(self, *, retry: bool = False) -> None:
        if self.read_only and not self.refresh_paused and (retry or not self.live_connected):
            # The next poll is scheduled only once this one finished: polls never pile up.
            if self._poll_timer is not None:
                self._poll_timer.stop()
            self._poll_timer = self.set_timer(self.refresh_seconds, self._poll)

    def _poll(self) -> None:
        self._poll_timer = None
        if not self.refresh_paused:
            self.reload()

    def _broadcast(self, cells: set[tuple[str, str]] | None, *, jobs: bool) -> None:
        # Only the visible stack redraws now; other screens redraw when they are shown again.
        self.data_version += 1
        for screen in self.screen_stack:
            screen.post_message(DataChanged(cells, jobs, self.data_version))

    def _on_engine_event(self, event: EngineEvent) -> None:
        # Called for every engine event: only record it; the timer repaints.
        if self.read_only and self.refresh_paused:
            return  # a paused monitor shows what it showed; resuming reads everything again
        if isinstance(event, UnitStateChanged):
            self._pending_units[(event.model_id, event.region)] = event
        elif isinstance(event, JobStateChanged):
            self._pending_jobs[event.job_id] = event
            live = self.progress.get(event.job_id)
            if live is not None:
                # The screen prefers live progress: it must not contradict the commit.
                self.progress[event.job_id] = replace(
                    live, status=event.status, total=event.total, processed=event.processed,
                    succeeded=event.succeeded, failed=event.failed,
                )  # fmt: skip
        elif isinstance(event, JobProgress):
            self.progress[event.job_id] = event
            self._pending_jobs[event.job_id] = event
        elif isinstance(event, LogLine) and event.level in ("warning", "error"):
            severity = "warning" if event.level == "warning" else "error"
            self.notify(safe_text(event.message), severity=severity, markup=False)

    def _apply_engine_events(self) -> None:
        units, self._pending_units = self._pending_units, {}
        jobs, self._pending_jobs = self._pending_jobs, {}
        changed, new_region = apply_unit_events(self.snapshot, units.values())
        if self.read_only and (units or jobs):
            self.last_refreshed = datetime.now()
            self._update_top_bar()
        for job_id, event in jobs.items():
            if not apply_job_event(self.jobs, event):
                self.fetch_job(job_id)
        if new_region:
            self._broadcast(None, jobs=bool(jobs))  # a new column: the matrix lays out again
        elif changed or jobs:
            self._broadcast(changed, jobs=bool(jobs))

    @work(group="fetch-job")
    async def fetch_job(self, job_id: str) -> None:
        """Read the one job an event named that the list lacks (a new job), and show it."""
        if job_id in self._fetching or not self.loaded:
            return
        self._fetching.add(job_id)
        try:
            job = await self.read(lambda session: load_job(session, job_id))
        except READ_ERRORS as exc:
            if self.is_running:
                self.report_read_error(exc)
            return
        finally:
            self._fetching.discard(job_id)
        if job is None or not self.is_running:
            return
        add_job(self.jobs, job)
        self._broadcast(set(), jobs=True)

    # Export and copy ----------------------------------------------------------------------

    @work(group="export")
    async def export_view(self, scope: ExportScope, format_name: str, path: Path) -> None:
        """Write the certifications of a view to ``path`` in a format; say how it went."""
        from certtui.export import FORMATTERS, export_rows
        from certtui.export.files import check_output_path, write_atomically

        try:
            rows = await self.read(lambda s: export_rows(s, job_id=scope.job_id))
        except READ_ERRORS as exc:
            self.report_read_error(exc)
            return
        rows = [row for row in rows if scope.keep(row)]
        text = FORMATTERS[format_name](rows)
        try:
            if path.parent == self.settings.data_dir / "exports":
                await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
            check_output_path(path)
            await asyncio.to_thread(write_atomically, path, text)
        except (CerttuiError, OSError) as exc:
            self.notify(safe_text(str(exc)), severity="error", timeout=8, markup=False)
            return
        self.notify(
            safe_text(f"exported {plural(len(rows), 'certification')} to {path}"),
            timeout=8, markup=False,
        )  # fmt: skip

    def copy_out(self, text: str, what: str) -> Path | None:
        """Copy ``text`` (OSC 52) and, since no terminal confirms that, write it to a file too."""
        self.copy_to_clipboard(text)
        path = self.settings.data_dir / COPIED_FILE
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            self.notify(
                safe_text(f"copied {what} (OSC 52); could not write {path}: {exc.strerror}"),
                severity="warning", markup=False,
            )  # fmt: skip
            return None
        self.notify(
            safe_text(f"copied {what} to the clipboard (OSC 52, if the terminal allows) "
                      f"and to {path}"),
            markup=False, timeout=8,
        )  # fmt: skip
        return path

    # Certifying ---------------------------------------------------------------------------

    @work(group="certify")
    async def start_job(self, request: JobRequest) -> None:
        """Plan and start a job in the background; problems become notifications."""
        if self.service is None:
            return
        # On PostgreSQL with a worker alive (or execution = "workers"), the workers run it.
        from certtui.workers.submit import runs_on_workers, submit_job

        try:
            if await runs_on_workers(self.service.sessions, self.settings.execution):
                suite = self.service.job_suite()
                submitted = await submit_job(
                    self.service.sessions, request, suite, bus=self.service.bus
                )
                planned = submitted.planned
                self.notify(
                    f"job {planned.job_id[:8]} queued for the workers: "
                    f"{plural(planned.total, 'unit')} in {plural(submitted.slices, 'slice')}"
                )
                self.fetch_job(planned.job_id)
                return
            planned = await self.service.certify(request)
        except CerttuiError as exc:
            self.notify(safe_text(str(exc)), severity="error", timeout=8, markup=False)
            return
        self.notify(f"job {planned.job_id[:8]} started: {plural(planned.total, 'unit')}")
        self.fetch_job(planned.job_id)

    def certify(
        self,
        api_model_ids: Iterable[str],
        regions: Iterable[str],
        *,
        recertify_failed: bool = False,
        offered_only: bool = False,
        probe_unlisted: bool = False,
    ) -> None:
        """Certify models in regions (only what did not pass, with ``recertify_failed``;
        each model only where offered, with ``offered_only``)."""
        from certtui.engine.planning import JobRequest

        self.start_job(
            JobRequest(
                regions=tuple(regions),
                api_model_ids=tuple(api_model_ids),
                recertify_failed=recertify_failed,
                offered_only=offered_only,
                probe_unlisted=probe_unlisted,
                created_by=self.created_by,
            )
        )

    @property
    def created_by(self) -> str | None:
        """Who starts jobs from this session."""
        return getattr(getattr(self.service, "settings", None), "created_by", None)

    # Actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Read-only mode removes every mutating action (footer, palette, help and keys)."""
        if action == "toggle_refresh":
            return self.read_only and not self.refresh_paused  # only a monitor polls
        if action == "resume_refresh":
            return self.read_only and self.refresh_paused
        return not (self.read_only and action in MUTATING_ACTIONS)

    def action_toggle_refresh(self) -> None:
        """Pause or resume the periodic refresh of a monitor."""
        self.refresh_paused = not self.refresh_paused
        if not self.refresh_paused:
            self.reload()
        self._update_top_bar()
        self.refresh_bindings()  # the footer's f says what it does now

    def action_resume_refresh(self) -> None:
        """Resume the periodic refresh of a monitor."""
        if self.refresh_paused:
            self.action_toggle_refresh()

    def action_reload(self) -> None:
        """Read everything from the database again."""
        self.reload()

    def action_help(self) -> None:
        """Show the bindings that apply on the current screen."""
        from certtui.tui.screens.help import HelpScreen

        # certtui's own keys only (the registry's), each action once with all its keys.
        shown = [(f"{glyphs.current().arrow_keys} pgup pgdn", "Move")]
        keys: dict[str, list[str]] = {}
        described: dict[str, str] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if active.enabled and binding.id in ACTIONS:
                keys.setdefault(binding.id, []).append(help_key(self, binding))
                described[binding.id] = binding.description
        # A screen's own key that a table's unnamed one shadows (enter: the table selects,
        # and the screen acts on the selection) still does what the screen says.
        for binding in getattr(type(self.screen), "BINDINGS", ()):
            if (
                isinstance(binding, Binding) and binding.id in ACTIONS
                and binding.id not in keys and self.screen.check_action(binding.action, ())
            ):  # fmt: skip
                keys[binding.id] = [help_key(self, binding)]
                described[binding.id] = binding.description

        # This screen's keys first, then the table's, then the global ones.
        def group(spec_id: str) -> int:
            return (
                2 if spec_id.startswith(("app.", "screen.")) else int(spec_id.startswith("table."))
            )

        shown += [(" ".join(dict.fromkeys(keys[i])), described[i]) for i in sorted(keys, key=group)]
        self.push_screen(HelpScreen(shown))

    async def action_quit(self) -> None:
        """Textual's own quit (ctrl+q, the palette's Quit) asks like q does."""
        await self.action_quit_certtui()

    async def action_quit_certtui(self) -> None:
        """Quit; a running job is paused (after asking) so it can be resumed later, or, when it
        runs in its own process, left to finish there."""
        if self.service is None or not self.service.running:
            self.exit()
            return
        count = len(self.service.running)
        jobs = plural(count, "job")
        if getattr(self.service, "can_leave_running", False):
            from certtui.tui.screens.dialogs import ChoiceScreen

            async def choose(choice: str | None) -> None:
                if choice == "pause":
                    self.notify(f"pausing running jobs{glyphs.current().ellipsis}")
                    await self.service.pause_all_and_wait()
                    self.exit()
                elif choice == "leave":
                    self.exit()

            them = "it" if count == 1 else "them"
            title = (
                f"{jobs} running. Quit and pause {them} (resume later from the Jobs screen or "
                f"`certtui jobs resume`), or leave {them} running to the end?"
            )
            options = [
                ("pause", f"Pause {'the job' if count == 1 else 'the jobs'} and quit"),
                ("leave", f"Leave {them} running and quit"),
                ("stay", "Stay"),
            ]
            self.push_screen(ChoiceScreen(title, options), choose)
            return
        from certtui.tui.screens.dialogs import ConfirmScreen

        question = (
            f"{plural(count, 'job')} running. Pause and quit? "
            "Resume later with `certtui jobs resume` or from the Jobs screen."
        )

        async def answer(yes: bool | None) -> None:
            if yes:
                self.notify(f"pausing running jobs{glyphs.current().ellipsis}")
                await self.service.pause_all_and_wait()
                self.exit()

        self.push_screen(ConfirmScreen(question, yes="Pause and quit"), answer)

    @property
    def on_disconnect(self) -> str:
        """What SIGHUP / SIGTERM do to running jobs: "pause", or "leave" them to their process."""
        choice = getattr(getattr(self.service, "settings", None), "on_disconnect", "pause")
        if choice == "leave" and getattr(self.service, "can_leave_running", False):
            return "leave"
        return "pause"  # an inline job cannot outlive this process

    # Signals ------------------------------------------------------------------------------

    def _catch_stop_signals(self) -> None:
        # Their default action kills the process at once: a running job would stay PROCESSING
        # until its lease expires and the terminal would stay in the alternate screen. Not
        # headless (App.run_test): the signals are the test process's.
        if self.is_headless:
            return
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            try:
                loop.add_signal_handler(signum, self.stop_on_signal, signum)
            except (NotImplementedError, RuntimeError, ValueError):
                return  # not the main thread, or no signals on this platform

    def _release_stop_signals(self) -> None:
        if self.is_headless:
            return
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            try:
                loop.remove_signal_handler(signum)
            except (NotImplementedError, RuntimeError, ValueError):
                return

    def stop_on_signal(self, signum: int) -> None:
        """SIGHUP (an SSH drop) or SIGTERM: pause the running jobs (or leave them running, as
        ``on_disconnect`` says), then leave (exit 3)."""
        if self.stopped_by is None:
            self.stopped_by = signal.Signals(signum).name
            self._pause_and_leave()

    @work(group="stop-signal")
    async def _pause_and_leave(self) -> None:
        if self.service is not None and self.service.running:
            if self.on_disconnect == "leave":
                self.left_running = list(self.service.running)
            else:
                # The terminal may be gone: the database comes first, the screen after.
                await self.service.pause_all_and_wait()
        self.exit()  # Textual leaves the alternate screen and turns mouse tracking off

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers the screens and the actions that fit the current screen."""
        yield from super().get_system_commands(screen)
        for spec_id in ("screen.models", "screen.matrix", "screen.jobs", "screen.workers"):
            spec = ACTIONS[spec_id]
            mode = spec.action.split("'")[1]
            yield SystemCommand(
                f"Go to {spec.description}", f"key {spec.key}", lambda m=mode: self.switch_mode(m)
            )
        for binding in screen.BINDINGS:
            action = getattr(binding, "action", None)
            if action is None or action.startswith("app.") or not binding.description:
                continue
            if self.read_only and action in MUTATING_ACTIONS:
                continue
            yield SystemCommand(
                binding.description,
                f"key {binding.key}",
                lambda a=action, s=screen: s.run_action(a),
            )


def help_key(app: App[Any], binding: Binding) -> str:
    """How help writes a key: as the footer does, but ``enter`` in words."""
    return "enter" if binding.key == "enter" else app.get_key_display(binding)


# Garbage-collector settings while the interface runs (the engine shares its process then), and
# the process's own again once it has gone: `certtui run`, scripts and tests keep Python's.
#
# Why they help first paint: loading a 6,000-cell matrix makes a few hundred thousand objects,
# nearly all long-lived (ORM rows, snapshot, table data, render caches). With Python's
# thresholds (700, 10, 10) that sets off about 190 young collections, 17 middle ones and a full
# one, each walking the objects made so far: 0.3 to 0.4 s of a 2 s first paint on a busy 2-core
# machine, against under 0.1 s with these (measured in-process on bench/tui's database). Once
# it is drawn, freezing the matrix keeps later full collections from walking it again, a pause
# the cursor would feel. The engine's garbage is short-lived and still collected young.
UI_GC_THRESHOLDS = (20_000, 20, 20)
_saved_thresholds: list[tuple[int, int, int]] = []


def relax_collector() -> None:
    """Collect less often while the interface runs (restore_collector puts it back)."""
    _saved_thresholds.append(gc.get_threshold())
    gc.set_threshold(*UI_GC_THRESHOLDS)


def quiet_collector() -> None:
    """Move every object alive now (the loaded matrix) out of the collector's reach."""
    if _saved_thresholds:  # not once the interface has gone (a quit right after the load)
        gc.freeze()


def restore_collector() -> None:
    """Give the process back Python's collector settings and the objects frozen meanwhile."""
    gc.unfreeze()
    if _saved_thresholds:
        gc.set_threshold(*_saved_thresholds.pop())
