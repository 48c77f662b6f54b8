"""The account form shared by first-run setup and the admin's accounts page."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from facilitation.accounts import account_problems
from facilitation.roles import Role
from plugin import keys
from plugin.web.messages import describe


@dataclass
class AccountForm:
    username: str = ""
    display_name: str = ""
    role: str = Role.FACILITATOR.value
    password: str = ""
    password_again: str = ""


def validate_account_form(request: web.Request, form: AccountForm) -> dict[str, str]:
    """Field name -> a plain-language problem. Empty when the form is fine."""
    policy = request.app[keys.PASSWORDS].policy
    problems = account_problems(
        username=form.username,
        display_name=form.display_name,
        role=form.role,
        password=form.password,
        password_again=form.password_again,
        policy=policy,
    )
    translations = request.app[keys.TRANSLATIONS]
    return {field: describe(found, translations, policy) for field, found in problems.items()}
