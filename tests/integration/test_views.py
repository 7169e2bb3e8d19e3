"""Saved views: own, shared by link or with the team (read-only for others), default, rename, delete."""

from __future__ import annotations

import pytest

from bo_core.domain.authorization import SYSTEM
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
    saved = views.save_view(ctx, actor=ana, name="Morning refunds", params=PARAMS)
    assert saved.params == {
        "type": ["CP", "DB"],
        "status": ["success"],
        "merchant": ["acme"],
        "cols": ["Amount", "UUID"],
    }
    assert saved.editable and saved.visibility == "private"
    assert views.open_view(ctx, saved.id, actor=ana) == saved
    assert [v.name for v in views.list_views(ctx, actor=ana)] == ["Morning refunds"]


def test_names_are_unique_per_user_and_renaming_keeps_the_id(ctx: Context) -> None:
    ana, other = add_user(ctx, "analyst"), add_user(ctx, "analyst")
    first = views.save_view(ctx, actor=ana, name="A", params={})
    views.save_view(ctx, actor=other, name="A", params={})  # another user's names are theirs
    with pytest.raises(InputError):
        views.save_view(ctx, actor=ana, name="A", params={})
    second = views.save_view(ctx, actor=ana, name="B", params={})
    with pytest.raises(InputError):
        views.rename_view(ctx, second.id, actor=ana, name="A")
    renamed = views.rename_view(ctx, first.id, actor=ana, name="Chargebacks this week")
    assert renamed.id == first.id and renamed.name == "Chargebacks this week"
    for bad in ("", "   ", "x" * 81, "tab\there"):
        with pytest.raises(InputError):
            views.save_view(ctx, actor=ana, name=bad, params={})


def test_one_default_per_user(ctx: Context) -> None:
    ana = add_user(ctx, "analyst")
    a, b = (
        views.save_view(ctx, actor=ana, name="A", params={}),
        views.save_view(ctx, actor=ana, name="B", params={}),
    )
    assert views.default_view(ctx, actor=ana) is None
    views.set_default(ctx, a.id, actor=ana)
    views.set_default(ctx, b.id, actor=ana)
    default = views.default_view(ctx, actor=ana)
    assert default is not None and default.id == b.id
    assert [v.is_default for v in views.list_views(ctx, actor=ana)] == [False, True]


def test_private_views_are_invisible_and_shared_ones_read_only_for_others(ctx: Context) -> None:
    owner, other = add_user(ctx, "analyst"), add_user(ctx, "viewer")
    private = views.save_view(ctx, actor=owner, name="Mine", params={"q": "x"})
    by_link = views.save_view(ctx, actor=owner, name="Link", params={"q": "y"}, visibility="link")
    team = views.save_view(ctx, actor=owner, name="Team", params={"q": "z"})
    views.share_view(ctx, team.id, actor=owner, visibility="team")
    with pytest.raises(NotFound):
        views.open_view(ctx, private.id, actor=other)
    assert views.open_view(ctx, by_link.id, actor=other).params == {"q": ["y"]}
    assert not views.open_view(ctx, by_link.id, actor=other).editable
    assert [v.name for v in views.list_views(ctx, actor=other)] == ["Team"]  # a link is not listed
    for change in (
        lambda: views.rename_view(ctx, team.id, actor=other, name="Hijacked"),
        lambda: views.update_view(ctx, team.id, actor=other, params={}),
        lambda: views.delete_view(ctx, team.id, actor=other),
        lambda: views.set_default(ctx, team.id, actor=other),
    ):
        with pytest.raises(PermissionDenied):
            change()
    with pytest.raises(NotFound):
        views.delete_view(ctx, private.id, actor=other)
    views.delete_view(ctx, team.id, actor=owner)
    assert views.list_views(ctx, actor=other) == []


def test_bad_parameters_and_visibility_are_refused(ctx: Context) -> None:
    ana = add_user(ctx, "analyst")
    with pytest.raises(InputError):
        views.save_view(ctx, actor=ana, name="A", params={"q": "x" * 301})
    with pytest.raises(InputError):
        views.save_view(ctx, actor=ana, name="A", params={"q": 5})
    with pytest.raises(InputError):
        views.save_view(ctx, actor=ana, name="A", params={}, visibility="world")
    assert views.save_view(ctx, actor=ana, name="A", params={"evil": "1", "q": "ok"}).params == {"q": ["ok"]}


@pytest.mark.parametrize("actor", [None, "", "ghost", "disabled", "outsider", SYSTEM])
def test_views_belong_to_a_signed_in_user_who_may_search(ctx: Context, actor: object) -> None:
    """Deny by default, as every service; the system has no views of its own."""
    import dataclasses

    from bo_core.domain.permissions import Role
    from bo_core.services import users

    roles = {**ctx.settings.roles, "outsider": Role(name="outsider", permissions=frozenset())}
    ctx.settings = dataclasses.replace(ctx.settings, roles=roles)
    owner = add_user(ctx, "analyst")
    shared = views.save_view(ctx, "Team", {}, actor=owner, visibility="team")
    who: object = actor
    if actor == "disabled":
        who = add_user(ctx, "admin")
        users.disable_user(ctx, str(who), actor=SYSTEM)
    elif actor == "outsider":
        who = add_user(ctx, "outsider")
    for call in (
        lambda: views.save_view(ctx, "Mine", {}, actor=who),  # type: ignore[arg-type]
        lambda: views.list_views(ctx, actor=who),  # type: ignore[arg-type]
        lambda: views.open_view(ctx, shared.id, actor=who),  # type: ignore[arg-type]
        lambda: views.default_view(ctx, actor=who),  # type: ignore[arg-type]
        lambda: views.delete_view(ctx, shared.id, actor=who),  # type: ignore[arg-type]
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert [v.name for v in views.list_views(ctx, actor=owner)] == ["Team"]
