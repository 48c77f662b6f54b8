"""The account form shared by first-run setup and the admin's accounts page."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiohttp import web

from facilitation.roles import Role
from plugin import keys
from plugin.i18n import N_
from plugin.web import messages
from plugin.web.pages import gettext

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@dataclass
class AccountForm:
    username: str = ""
    display_name: str = ""
    role: str = Role.FACILITATOR.value
    password: str = ""
    password_again: str = ""


def validate_account_form(request: web.Request, form: AccountForm) -> dict[str, str]:
    """Field name -> a plain-language problem. Empty when the form is fine."""
    errors: dict[str, str] = {}
    username = form.username.strip().casefold()
    if not USERNAME.match(username):
        errors["username"] = gettext(
            request,
            N_(
                "Use 2 to 64 letters, numbers, dots, dashes or underscores, "
                "starting with a letter or number."
            ),
        )
    name = form.display_name.strip()
    if not 1 <= len(name) <= 120:
        errors["display_name"] = gettext(request, N_("Please give a name of up to 120 characters."))
    if form.role not in {role.value for role in Role}:
        errors["role"] = gettext(request, N_("Please choose a role."))
    policy = request.app[keys.PASSWORDS].policy
    problems = policy.problems(form.password, username)
    if problems:
        errors["password"] = " ".join(
            gettext(request, messages.PASSWORD[p], min=policy.min_length, max=policy.max_length)
            for p in problems
        )
    elif form.password != form.password_again:
        errors["password_again"] = gettext(request, N_("The two passwords are not the same."))
    return errors
