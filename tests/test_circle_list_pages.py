"""The circle list's pages (app.querying.paginate): each page sorts the circles' ids alone and
then loads those circles, so the order, the total and the next meeting of each must read as
when the whole rows were sorted; a page past the end still says how many there are."""

from __future__ import annotations

import re

import pytest

from tests.factories import next_weekday

TITLES = ["First", "Second", "Third", "Fourth", "Fifth"]


@pytest.fixture
def five(app, world) -> list[int]:
    """Five public circles of one meeting each, a week apart, made in the reverse order
    (their ids do not follow the order they are listed in)."""
    ids = [
        world.circle(
            title=f"{title} circle",
            audience="public",
            first_date=next_weekday(1, weeks_ahead=2 + n),
            meeting_count=1,
        )
        for n, title in reversed(list(enumerate(TITLES)))
    ]
    app.config["PER_PAGE"] = 2
    return ids[::-1]


def titles(page: str) -> list[str]:
    return re.findall(r'<h2><a href="/circles/\d+">(\w+) circle</a></h2>', page)


def test_pages_list_each_circle_once_soonest_first(client, five):
    pages = [client.get(f"/circles/?page={n}").text for n in (1, 2, 3)]
    assert [titles(page) for page in pages] == [TITLES[:2], TITLES[2:4], TITLES[4:]]
    for page in pages:
        assert "5 circles" in page
    assert "Page 2 of 3" in pages[1]
    assert 'rel="prev"' in pages[1]
    assert 'rel="next"' in pages[1]
    first = pages[0]
    assert first.index(f'href="/circles/{five[0]}"') < first.index(f'href="/circles/{five[1]}"')


def test_each_card_shows_its_own_next_meeting(client, five):
    page = client.get("/circles/?page=1").text
    cards = page.split('<li class="card">')[1:]
    assert len(cards) == 2
    days = [re.search(r"Next meeting: (\w+, \w+ \d+)", card).group(1) for card in cards]
    expected = [next_weekday(1, weeks_ahead=w) for w in (2, 3)]
    assert days == [f"{d:%a, %b} {d.day}" for d in expected]


def test_a_page_past_the_end_is_empty_and_still_counts(client, five):
    response = client.get("/circles/?page=9")
    assert response.status_code == 200
    assert titles(response.text) == []
    assert "5 circles" in response.text


def test_filters_narrow_the_pages_and_their_total(client, world, five):
    world.circle(
        title="Online circle",
        audience="public",
        format="virtual",
        room_id=None,
        join_url="https://meet.example.org/x",
        lead=world.co,
    )
    everything = client.get("/circles/").text
    assert "6 circles" in everything
    page = client.get("/circles/?format=virtual").text
    assert titles(page) == ["Online"]
    assert "1 circle" in page
    assert "Page 1 of" not in page
