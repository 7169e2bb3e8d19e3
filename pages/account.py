"""My account: change my password, set up my second factor."""

from __future__ import annotations

from bo_web.auth import cookie_key_for, guard
from bo_web.context import get_ctx
from bo_web.factors import account_page
from bo_web.flash import show_flash

user = guard(__file__)
ctx = get_ctx()
show_flash()
account_page(ctx, cookie_key_for(ctx), user.username)
