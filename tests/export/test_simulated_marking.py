"""Simulated results are marked where the TUI and `jobs show` read them (#10 item 2).

The seeded Llama certification in us-east-1 carries `simulated: true` in its testResults
(written by the engine from the stand-in's response header); the others do not.
"""

from __future__ import annotations

from typing import Any

from certtui.store.views import job_units, load_snapshot
from certtui.tui.cells import cell_look, simulated_mark

from .conftest import HAIKU, JOB_ONE, LLAMA


async def test_matrix_cells_and_job_units_carry_the_simulated_flag(seeded: Any) -> None:
    async with seeded.sessions() as session:
        snapshot = await load_snapshot(session)
        units = await job_units(session, JOB_ONE)
    ids = {row.api_model_id: row.model_id for row in snapshot.models}
    llama = snapshot.cell(ids[LLAMA], "us-east-1")
    haiku = snapshot.cell(ids[HAIKU], "us-east-1")
    assert llama.simulated and not haiku.simulated
    assert cell_look(llama).text.endswith(simulated_mark())
    assert not cell_look(haiku).text.endswith(simulated_mark())
    flags = {(u.api_model_id, u.region): u.simulated for u in units}
    assert flags == {
        (HAIKU, "us-east-1"): False,
        (HAIKU, "eu-west-1"): False,
        (LLAMA, "us-east-1"): True,
    }
    assert {u.api_model_id: u.cell.simulated for u in units if u.region == "us-east-1"} == {
        HAIKU: False,
        LLAMA: True,
    }
