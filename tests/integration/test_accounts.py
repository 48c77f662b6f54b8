"""The admin's accounts page."""

from __future__ import annotations

from facilitation.roles import Role
from tests.conftest import PASSWORD, AddAccount, Client, csrf_from, login, post_form


async def test_admin_adds_facilitator_who_can_then_sign_in(
    client: Client, add_account: AddAccount, second_client: Client
) -> None:
    await add_account("root", Role.ADMIN)
    await login(client, "root")
    data = {
        "username": "Jo.Bloggs",
        "display_name": "Jo",
        "role": "facilitator",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    response = await post_form(client, "/accounts", data, page="/accounts")
    assert response.status == 303, "post/redirect/get: a reload must not post again"
    shown = await client.get(response.headers["Location"])
    assert "Account jo.bloggs added" in await shown.text()
    again = await post_form(client, "/accounts", data, page="/accounts")
    assert again.status == 409
    assert "already taken" in await again.text()
    await login(second_client, "jo.bloggs")


async def test_bad_account_form_names_each_field(client: Client, add_account: AddAccount) -> None:
    await add_account("root", Role.ADMIN)
    await login(client, "root")
    data = {
        "username": "x",
        "display_name": "",
        "role": "king",
        "password": "short",
        "password_again": "",
    }
    response = await post_form(client, "/accounts", data, page="/accounts")
    assert response.status == 400
    text = await response.text()
    for anchor in ('href="#username"', 'href="#display_name"', 'href="#role"', 'href="#password"'):
        assert anchor in text
    assert "at least 12 characters" in text
    assert 'aria-invalid="true"' in text


async def test_password_mismatch_and_long_password(client: Client, add_account: AddAccount) -> None:
    await add_account("root", Role.ADMIN)
    await login(client, "root")
    long_password = "correct-horse-" * 9  # 126 characters, allowed
    data = {
        "username": "kim",
        "display_name": "Kim",
        "role": "host",
        "password": long_password,
        "password_again": long_password + "x",
    }
    mismatch = await post_form(client, "/accounts", data, page="/accounts")
    assert mismatch.status == 400
    assert "not the same" in await mismatch.text()
    data["password_again"] = long_password
    assert (await post_form(client, "/accounts", data, page="/accounts")).status == 303


async def test_only_admins_manage_accounts(client: Client, add_account: AddAccount) -> None:
    await add_account("fran")
    await login(client, "fran")
    assert (await client.get("/accounts")).status == 403
    token = await csrf_from(client, "/")
    response = await client.post("/accounts", data={"csrf_token": token, "username": "evil"})
    assert response.status == 403


async def test_disabling_signs_the_person_out_everywhere(
    client: Client, add_account: AddAccount, second_client: Client
) -> None:
    await add_account("root", Role.ADMIN)
    fran_id = await add_account("fran")
    fran = second_client
    await login(fran, "fran")
    assert (await fran.get("/", allow_redirects=False)).status == 200
    await login(client, "root")
    response = await post_form(client, f"/accounts/{fran_id}/disable", {}, page="/accounts")
    assert response.status == 303
    assert (await fran.get("/", allow_redirects=False)).status == 303
    listing = await client.get("/accounts")
    assert "Disabled" in await listing.text()
    own = await post_form(client, "/accounts/1/disable", {}, page="/accounts")
    assert own.status == 400
