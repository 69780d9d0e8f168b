"""The TUI's views follow engine events without a terminal: pure, no database, no app."""

from __future__ import annotations

from datetime import datetime

from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.domain.events import JobProgress, JobStateChanged, UnitStateChanged
from certtui.tui.cells import cell_look
from certtui.tui.data import (
    CellState,
    JobView,
    ModelRow,
    Snapshot,
    add_job,
    apply_job_event,
    apply_unit_events,
    cell_from_unit,
)

S = CertificationStatus


def _model(model_id: str) -> ModelRow:
    return ModelRow(
        model_id=model_id, api_model_id=f"acme.{model_id}", name=model_id, vendor="Acme",
        input_modalities=("TEXT",), output_modalities=("TEXT",), streaming=True, active=True,
        regions_offered=("eu-west-1", "us-east-1"), regions_passed=0, best_rating=None,
    )  # fmt: skip


def _snapshot() -> Snapshot:
    snapshot = Snapshot(
        [_model("m1"), _model("m2")],
        ["eu-west-1", "us-east-1"],
        {
            ("m1", "eu-west-1"): CellState(offered=True),
            ("m1", "us-east-1"): cell_from_unit(
                S.COMPLETED, passed=True, rating="B", score=85.0, certification_id="c0",
                offered=True,
            ),
            ("m2", "eu-west-1"): CellState(offered=False),
        },
    )  # fmt: skip
    snapshot.summarize({"m1", "m2"})
    return snapshot


def _unit(
    status: CertificationStatus, region: str = "eu-west-1", **result: object
) -> UnitStateChanged:
    return UnitStateChanged("job-1", "c1", "m1", "acme.m1", region, status, **result)  # type: ignore[arg-type]


def test_cell_from_unit_takes_an_enum_or_its_value() -> None:
    assert cell_from_unit(S.QUEUED) == cell_from_unit("QUEUED") == CellState(status="QUEUED")
    assert cell_from_unit(None, offered=False) == CellState(offered=False)


def test_every_unit_status_lands_in_its_cell_and_keeps_what_discovery_knows() -> None:
    snapshot = _snapshot()
    assert snapshot.models[0].regions_passed == 1 and snapshot.models[0].best_rating == "B"
    for status, text in ((S.QUEUED, "… que"), (S.PROCESSING, "⟳ run"), (S.CANCELLED, "⊘ can")):
        changed, new_region = apply_unit_events(snapshot, [_unit(status)])
        assert (changed, new_region) == ({("m1", "eu-west-1")}, False)
        cell = snapshot.cell("m1", "eu-west-1")
        assert cell.status == status.value and cell.offered is True
        assert cell.certification_id == "c1"
        assert cell_look(cell).text == text

    apply_unit_events(snapshot, [_unit(S.COMPLETED, passed=True, rating="A", score=100.0)])
    assert cell_look(snapshot.cell("m1", "eu-west-1")).text == "✓ A"
    m1, m2 = snapshot.models
    assert (m1.regions_passed, m1.best_rating) == (2, "A")  # as a reload would count it
    assert (m2.regions_passed, m2.best_rating) == (0, None)  # untouched

    apply_unit_events(snapshot, [_unit(S.FAILED, error_category="PERMISSION_ERROR")])
    # It passed the time before: a regression, marked (#13).
    assert cell_look(snapshot.cell("m1", "eu-west-1")).text == "! PERM↓"
    assert snapshot.models[0].regions_passed == 1


def test_the_last_event_of_a_cell_wins_and_a_new_region_is_added() -> None:
    snapshot = _snapshot()
    changed, new_region = apply_unit_events(
        snapshot, [_unit(S.QUEUED, "ap-south-1"), _unit(S.PROCESSING, "ap-south-1")]
    )
    assert changed == {("m1", "ap-south-1")} and new_region
    assert snapshot.regions == ["ap-south-1", "eu-west-1", "us-east-1"]
    assert snapshot.cell("m1", "ap-south-1").status == "PROCESSING"
    assert snapshot.cell("m1", "ap-south-1").offered is None  # discovery knows nothing of it


def _job(job_id: str, hour: int, status: str = "QUEUED", *, live: bool = False) -> JobView:
    return JobView(
        job_id=job_id, type="SINGLE_MODEL", status=status, total=4, processed=0, succeeded=0,
        failed=0, regions=("eu-west-1",), created_by="tester@ci",
        created_at=datetime(2026, 1, 1, hour), started_at=None, live=live,
    )  # fmt: skip


def test_job_events_update_the_job_in_place() -> None:
    jobs = [_job("b", 2), _job("a", 1, "PROCESSING", live=True)]
    assert apply_job_event(jobs, JobStateChanged("a", JobStatus.CANCELLED, 4, 4, 1, 3))
    assert jobs[1].status == "CANCELLED" and (jobs[1].processed, jobs[1].succeeded) == (4, 1)
    assert not jobs[1].live  # an ended job is held by nobody
    progress = JobProgress("b", JobStatus.PROCESSING, 4, 2, 2, 0, 1, 8, 0, 0, 10.0, 12.0)
    assert apply_job_event(jobs, progress)
    assert (jobs[0].status, jobs[0].processed) == ("PROCESSING", 2)
    assert not apply_job_event(jobs, JobStateChanged("new", JobStatus.QUEUED, 1, 0, 0, 0))


def test_a_job_learnt_of_later_takes_its_place_newest_first() -> None:
    jobs = [_job("c", 3), _job("a", 1)]
    add_job(jobs, _job("b", 2))
    add_job(jobs, _job("d", 3))  # same time as c: by id
    add_job(jobs, _job("a", 1, "PAUSED"))  # known already: replaced, not doubled
    assert [(j.job_id, j.status) for j in jobs] == [
        ("c", "QUEUED"), ("d", "QUEUED"), ("b", "QUEUED"), ("a", "PAUSED"),
    ]  # fmt: skip
