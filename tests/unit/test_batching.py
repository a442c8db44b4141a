"""Large batches are fed to SQL in slices under every database's parameter limit."""

from __future__ import annotations

import pytest
from sqlmodel import col, func, select

from backoffice.models import Member
from backoffice.services.batching import MAX_PARAMS, chunks


def test_slices_cover_everything_in_order_and_stay_under_the_limit():
    items = list(range(10_001))
    for params_each in (1, 3, 14):
        parts = list(chunks(items, params_each))
        assert [x for part in parts for x in part] == items
        assert all(len(p) * params_each < MAX_PARAMS for p in parts)
        assert len(parts[0]) * params_each > MAX_PARAMS // 2  # not needlessly small
    assert list(chunks([])) == []


def test_an_item_needing_more_than_the_limit_is_refused():
    with pytest.raises(ValueError):
        list(chunks([1], MAX_PARAMS))


def test_a_huge_in_list_runs_in_slices_on_the_database(session):
    """50,000 ids in one IN (…) would pass SQLite's limit; sliced, each query is fine."""
    ids = list(range(50_000))
    total = sum(
        session.exec(select(func.count()).where(col(Member.id).in_(part))).one()
        for part in chunks(ids)
    )
    assert total == 0
