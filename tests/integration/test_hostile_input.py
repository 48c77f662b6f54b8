"""Odd and hostile input on every browser-facing surface: always a clear 4xx, never a 5xx."""

from __future__ import annotations

import pytest

from facilitation.roles import Role
from tests.conftest import AddAccount, Client, csrf_from, login, post_form


@pytest.mark.parametrize(
    "target",
    ["/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/\\evil"],
)
async def test_next_with_control_characters_stays_on_site(
    client: Client, add_account: AddAccount, target: str
) -> None:
    await add_account("alex")
    await login(client, "alex")
    response = await client.get("/login", params={"next": target}, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/"


async def test_percent_encoded_tab_in_next_stays_on_site(
    client: Client, add_account: AddAccount
) -> None:
    await add_account("alex")
    await login(client, "alex")
    response = await client.get("/login?next=/%09/evil.example", allow_redirects=False)
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("token", ["é", "\u2603" * 64, "0" * 5000])
async def test_odd_csrf_tokens_are_403(client: Client, token: str) -> None:
    await client.get("/login")
    form = await client.post("/login", data={"csrf_token": token, "username": "a"})
    assert form.status == 403
    header = await client.post(
        "/login", data=b"", headers={"X-CSRF-Token": token.encode("utf-8").decode("latin-1")}
    )
    assert header.status == 403


@pytest.mark.parametrize("cookie", ["\xff\xfe", "x" * 500, "a b", "é" * 30])
async def test_a_broken_cookie_gets_a_fresh_session_not_an_error(
    client: Client, cookie: str
) -> None:
    raw = f"fac_sid={cookie}".encode().decode("latin-1")
    response = await client.get("/login", headers={"Cookie": raw})
    assert response.status == 200
    assert "fac_sid" in response.cookies


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"username=\xff\xfe&csrf_token=x", "application/x-www-form-urlencoded"),
        (b"username=a", "application/x-www-form-urlencoded; charset=bogus"),
        (b"--x\r\n", "multipart/form-data"),
        (b"--b\r\nnonsense", "multipart/form-data; boundary=b"),
    ],
)
async def test_unreadable_form_bodies_are_400(
    client: Client, body: bytes, content_type: str
) -> None:
    await client.get("/login")
    response = await client.post("/login", data=body, headers={"Content-Type": content_type})
    assert response.status == 400
    assert "could not read what was sent" in await response.text()


async def test_nul_bytes_in_fields_are_400(client: Client) -> None:
    response = await post_form(
        client, "/login", {"username": "ro\x00ot", "password": "x" * 12}, page="/login"
    )
    assert response.status == 400


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/99999999999999999999999/disable",
        "/accounts/2147483648/enable",
        "/accounts/-1/disable",
        "/sessions/%00/end",
        "/sessions/" + "a" * 100 + "/end",
    ],
)
async def test_out_of_range_ids_are_404(client: Client, add_account: AddAccount, path: str) -> None:
    await add_account("root", Role.ADMIN)
    await login(client, "root")
    token = await csrf_from(client, "/")
    response = await client.post(path, data={"csrf_token": token})
    assert response.status == 404


@pytest.mark.parametrize("path", ["/join/%00", "/join/" + "A" * 40, "/setup/%00", "/sessions/%00"])
async def test_odd_path_parameters_are_404(
    client: Client, add_account: AddAccount, path: str
) -> None:
    await add_account("root", Role.ADMIN)
    await login(client, "root")
    assert (await client.get(path)).status == 404
