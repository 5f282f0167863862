"""Every demo volunteer is shown by name in the console's lists, the two dozen
extra volunteers as the first five: never by the id of his log-in."""

from __future__ import annotations

import re

from aggregates.volunteer import OCCUPATIONS
from api.console.pages.common import names
from api.seed import VOLUNTEERS, extra_volunteers
from loop.demo_year.people import display_name
from tests.api.conftest import Api
from tests.api.test_console_pages import log_in

EXTRA_ID = re.compile(r"v-(?:xf|hp)-\d\d")


def test_extra_volunteers_accounts_carry_their_names(api: Api) -> None:
    extras = extra_volunteers()
    shown = names(api.services, [person.id for person, _, _ in extras])
    for person, name, occupation in extras:
        assert shown.get(person.id) == f"{name}（{OCCUPATIONS[occupation]}）", person.id
    assert display_name("刘某", "delivery_rider") == VOLUNTEERS[0][1]  # as the first five


def test_the_leaderboard_shows_extra_volunteers_by_name(api: Api) -> None:
    board = api.get("k-ls-gao", "/api/leaderboard", limit=10).json()["items"]
    extras = {person.id: (name, job) for person, name, job in extra_volunteers()}
    ranked = [row["volunteer_id"] for row in board if row["volunteer_id"] in extras]
    assert ranked, "the demo ranks some extra volunteers among its first ten"
    log_in(api.client, "k-ls-gao")
    page = api.client.get("/stats").text
    table = page[page.index('class="table leaderboard"') :]
    table = table[: table.index("</table>")]
    for volunteer in ranked:
        assert display_name(*extras[volunteer]) in table, volunteer
    assert not EXTRA_ID.search(table), "no volunteer is shown by his log-in's id"
