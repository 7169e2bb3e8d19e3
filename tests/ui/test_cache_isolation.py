"""Cached query results (``st.cache_data`` is shared by every session of the process) never carry
one user's data to another: two users with different merchant scopes, one after the other in
the same process, each see only their own merchants in the cached filter choices and counts."""

from __future__ import annotations

from bo_core.domain.authorization import SYSTEM
from bo_core.services import scopes
from bo_core.services.context import Context
from tests.factories import add_tx, add_user
from tests.ui.conftest import AppFactory


def _scoped_manager(ctx: Context, merchant: str) -> str:
    name = add_user(ctx, "manager", scoped=True)
    scopes.assign(ctx, name, merchant, actor=SYSTEM)
    return name


def test_cached_filter_choices_and_counts_stay_with_their_user(app: AppFactory, ui_ctx: Context) -> None:
    for merchant, count in (("north-shop", 3), ("south-shop", 1)):
        for _ in range(count):
            add_tx(ui_ctx, "DB", 1_000, merchant=merchant)
    north = _scoped_manager(ui_ctx, "north-shop")
    south = _scoped_manager(ui_ctx, "south-shop")

    first = app(north)  # fills the caches with north's choices
    assert first.selectbox(key="merchant").options == ["All", "north-shop"]
    assert "**3** matching transactions" in [m.value for m in first.markdown]
    second = app(south)  # the same process, the same caches
    assert not second.exception
    assert second.selectbox(key="merchant").options == ["All", "south-shop"]
    assert "**1** matching transactions" in [m.value for m in second.markdown]  # the count too
    assert "north-shop" not in [str(o) for o in second.selectbox(key="merchant").options]

    history_north = app(north, page="pages/history.py")
    history_south = app(south, page="pages/history.py")
    assert history_north.selectbox(key="h_merchant").options == ["All", "north-shop"]
    assert history_south.selectbox(key="h_merchant").options == ["All", "south-shop"]
