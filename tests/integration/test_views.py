"""Saved views: own, shared by link or with the team (read-only for others), default, rename, delete."""

from __future__ import annotations

import pytest

from bo_core.domain.errors import InputError, NotFound, PermissionDenied
from bo_core.services import views
from bo_core.services.context import Context
from tests.factories import add_user

PARAMS = {
    "type": ["CP", "DB"],
    "status": ["success"],
    "merchant": "acme",
    "cols": ["Amount", "UUID"],
    "page": "3",
}


def test_a_saved_view_keeps_filters_and_columns_in_order_but_not_the_page(ctx: Context) -> None:
    ana = add_user(ctx, "analyst")
    saved = views.save_view(ctx, ana, "Morning refunds", PARAMS)
    assert saved.params == {
        "type": ["CP", "DB"],
        "status": ["success"],
        "merchant": ["acme"],
        "cols": ["Amount", "UUID"],
    }
    assert saved.editable and saved.visibility == "private"
    assert views.open_view(ctx, ana, saved.id) == saved
    assert [v.name for v in views.list_views(ctx, ana)] == ["Morning refunds"]


def test_names_are_unique_per_user_and_renaming_keeps_the_id(ctx: Context) -> None:
    ana, other = add_user(ctx, "analyst"), add_user(ctx, "analyst")
    first = views.save_view(ctx, ana, "A", {})
    views.save_view(ctx, other, "A", {})  # another user's names are theirs
    with pytest.raises(InputError):
        views.save_view(ctx, ana, "A", {})
    second = views.save_view(ctx, ana, "B", {})
    with pytest.raises(InputError):
        views.rename_view(ctx, ana, second.id, "A")
    renamed = views.rename_view(ctx, ana, first.id, "Chargebacks this week")
    assert renamed.id == first.id and renamed.name == "Chargebacks this week"
    for bad in ("", "   ", "x" * 81, "tab\there"):
        with pytest.raises(InputError):
            views.save_view(ctx, ana, bad, {})


def test_one_default_per_user(ctx: Context) -> None:
    ana = add_user(ctx, "analyst")
    a, b = views.save_view(ctx, ana, "A", {}), views.save_view(ctx, ana, "B", {})
    assert views.default_view(ctx, ana) is None
    views.set_default(ctx, ana, a.id)
    views.set_default(ctx, ana, b.id)
    default = views.default_view(ctx, ana)
    assert default is not None and default.id == b.id
    assert [v.is_default for v in views.list_views(ctx, ana)] == [False, True]


def test_private_views_are_invisible_and_shared_ones_read_only_for_others(ctx: Context) -> None:
    owner, other = add_user(ctx, "analyst"), add_user(ctx, "viewer")
    private = views.save_view(ctx, owner, "Mine", {"q": "x"})
    by_link = views.save_view(ctx, owner, "Link", {"q": "y"}, visibility="link")
    team = views.save_view(ctx, owner, "Team", {"q": "z"})
    views.share_view(ctx, owner, team.id, "team")
    with pytest.raises(NotFound):
        views.open_view(ctx, other, private.id)
    assert views.open_view(ctx, other, by_link.id).params == {"q": ["y"]}
    assert not views.open_view(ctx, other, by_link.id).editable
    assert [v.name for v in views.list_views(ctx, other)] == ["Team"]  # a link is not listed
    for change in (
        lambda: views.rename_view(ctx, other, team.id, "Hijacked"),
        lambda: views.update_view(ctx, other, team.id, {}),
        lambda: views.delete_view(ctx, other, team.id),
        lambda: views.set_default(ctx, other, team.id),
    ):
        with pytest.raises(PermissionDenied):
            change()
    with pytest.raises(NotFound):
        views.delete_view(ctx, other, private.id)
    views.delete_view(ctx, owner, team.id)
    assert views.list_views(ctx, other) == []


def test_bad_parameters_and_visibility_are_refused(ctx: Context) -> None:
    ana = add_user(ctx, "analyst")
    with pytest.raises(InputError):
        views.save_view(ctx, ana, "A", {"q": "x" * 301})
    with pytest.raises(InputError):
        views.save_view(ctx, ana, "A", {"q": 5})
    with pytest.raises(InputError):
        views.save_view(ctx, ana, "A", {}, visibility="world")
    assert views.save_view(ctx, ana, "A", {"evil": "1", "q": "ok"}).params == {"q": ["ok"]}
