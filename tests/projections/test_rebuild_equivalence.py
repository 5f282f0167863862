"""A long random workload, maintained incrementally in small batches while it
runs, equals a rebuild from scratch, row for row."""

from __future__ import annotations

from loop import demo
from loop.bootstrap import open_loop
from loop.services.bank import Bank
from projections.queries import Queries
from tests.projections import workload
from tests.projections.helpers import dump, projector_for
from tests.support import FakeClock


def test_incremental_read_models_equal_a_rebuild_row_for_row(views_url: str) -> None:
    clock = FakeClock()
    flow = open_loop(clock=clock).incidents
    projector = projector_for(flow, views_url, batch_size=7)
    projector.setup()
    for seed in range(4):  # the projector catches up between rounds of commands
        workload.run(flow, clock, incidents=20, seed=seed)
        projector.run_once()
    projector.catch_up()
    incremental = dump(projector)
    head = flow.app.recorder.max_notification_id()
    assert head is not None
    assert head > 400
    assert len(incremental["backlog.ownership"]) > 100
    assert incremental["scores.scores"]
    assert incremental["scores.months"]
    assert any(row[3] == "points" for row in incremental["cases.statistics"])
    assert len(incremental["catalogue.catalogue"]) == len(demo.CATALOGUE)

    queries = Queries(projector)
    bank = Bank(flow.app, flow.scoring)
    shown = queries.catalogue_of(demo.COUNTY)
    assert {i["item_id"] for i in shown} == set(workload.ITEMS[id(flow)])
    for item in shown:  # the catalogue agrees with the items themselves
        aggregate = bank.item(item["item_id"])
        assert (item["stock"], item["donors"]) == (aggregate.stock, aggregate.donors)
        assert item["handed_out"] == sum(aggregate.handed_out.values())
    assert any(i["handed_out"] for i in shown), "the workload redeemed something"
    assert any(len(i["donors"]) > 1 for i in shown), "and restocked from another donor"

    for volunteer in workload.VOLUNTEERS:  # the scores agree with the accounts themselves
        account = flow.points_account(volunteer.id)
        score = queries.volunteer_score(volunteer.id)
        assert score is not None
        assert (score["score"], score["balance"]) == (account.score, account.balance)
        assert (score["earned"], score["redeemed"]) == (account.earned, account.redeemed)
        assert score["deducted"] == account.deducted

    fresh = projector_for(flow, views_url, batch_size=500)
    for name in sorted(fresh.projections):
        fresh.rebuild(name)
    assert set(fresh.positions().values()) == {head}
    assert dump(fresh) == incremental
    projector.store.dispose()
    fresh.store.dispose()
