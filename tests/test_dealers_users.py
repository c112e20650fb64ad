"""A dealer admin manages their own account's buyers through /users and /users/invitations."""

from __future__ import annotations

import logging
import re

import pytest

PASSWORD = "correct-horse-42"  # tests/conftest.py seeds every user with it
SECRET = re.compile(r"(?<![A-Za-z0-9_-])([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")


@pytest.fixture
def mailbox(caplog):
    """E-mails sent meanwhile (embedded mode writes them to the log)."""
    caplog.set_level(logging.INFO, logger="dinghuo.platform.notifications")
    return caplog


def invitation_secret(response, mailbox) -> str:
    """The secret of the invitation link, from the answer or else from the e-mail."""
    text = response.json.get("accept_url") or mailbox.text
    found = SECRET.findall(text)
    assert found, f"no invitation link in {text!r}"
    return found[-1]


def login(api, world, email, password=PASSWORD):
    return api(world).post("/api/v1/auth/login", json={"email": email, "password": password})


def user_emails(response):
    assert response.status_code == 200, response.json
    return sorted(u["email"] for u in response.json["items"])


def test_dealer_admin_invites_a_buyer_who_accepts_and_signs_in(acme, api, mailbox):
    invited = api(acme, "dealer_admin").post(
        "/api/v1/users/invitations",
        json={"email": "New-Buyer@acme.test", "name": "新采购", "role": "buyer"},
    )
    assert invited.status_code == 201, invited.json
    assert invited.json["dealer_id"] == acme.dealer_id

    accepted = api(acme).post(
        "/api/v1/auth/invitations/accept",
        json={"token": invitation_secret(invited, mailbox), "password": "a-new-password-1"},
    )
    assert accepted.status_code == 201, accepted.json
    assert accepted.json["role"] == "buyer"
    assert accepted.json["dealer_id"] == acme.dealer_id

    signed_in = login(api, acme, "new-buyer@acme.test", "a-new-password-1")
    assert signed_in.status_code == 200, signed_in.json
    token = signed_in.json["token"]
    mine = api(acme).get("/api/v1/my/dealer", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200, mine.json
    assert mine.json["id"] == acme.dealer_id
    assert "new-buyer@acme.test" in user_emails(api(acme, "dealer_admin").get("/api/v1/users"))


def test_a_dealer_admin_invites_only_into_their_own_dealer(acme, api):
    invited = api(acme, "dealer_admin").post(
        "/api/v1/users/invitations",
        json={
            "email": "sneaky@acme.test",
            "name": "Sneaky",
            "role": "buyer",
            "dealer_id": acme.other_dealer_id,
        },
    )

    assert invited.status_code == 201, invited.json
    assert invited.json["dealer_id"] == acme.dealer_id


@pytest.mark.parametrize("role", ["sales", "admin", "owner"])
def test_a_dealer_admin_cannot_invite_staff(acme, api, role):
    invited = api(acme, "dealer_admin").post(
        "/api/v1/users/invitations", json={"email": "x@acme.test", "name": "X", "role": role}
    )

    assert invited.status_code == 403, invited.json


def test_a_dealer_admin_lists_only_their_own_dealers_users(acme, globex, api):
    dealer_admin = api(acme, "dealer_admin")
    own = ["buyer@acme.test", "dealer-admin@acme.test"]

    assert user_emails(dealer_admin.get("/api/v1/users")) == own
    assert user_emails(dealer_admin.get(f"/api/v1/users?dealer_id={acme.other_dealer_id}")) == own


def test_a_dealer_admin_deactivates_their_buyer_who_is_then_shut_out(acme, api):
    buyer_id = acme.users["buyer"].id

    response = api(acme, "dealer_admin").patch(
        f"/api/v1/users/{buyer_id}", json={"is_active": False}
    )

    assert response.status_code == 200, response.json
    assert response.json["is_active"] is False
    assert login(api, acme, "buyer@acme.test").status_code == 401
    assert api(acme, "buyer").get("/api/v1/my/dealer").status_code == 401
    assert api(acme, "dealer_admin").get("/api/v1/my/dealer").status_code == 200


@pytest.mark.parametrize("whose", ["other_buyer", "sales", "owner"])
def test_a_dealer_admin_cannot_touch_users_outside_their_dealer(acme, api, whose):
    user_id = acme.users[whose].id
    dealer_admin = api(acme, "dealer_admin")

    assert dealer_admin.get(f"/api/v1/users/{user_id}").status_code == 404
    patched = dealer_admin.patch(f"/api/v1/users/{user_id}", json={"is_active": False})

    assert patched.status_code == 404, patched.json
    assert api(acme, "owner").get(f"/api/v1/users/{user_id}").json["is_active"] is True


def test_a_dealer_admin_cannot_touch_another_tenants_users(acme, globex, api):
    foreign = globex.users["buyer"].id

    patched = api(acme, "dealer_admin").patch(f"/api/v1/users/{foreign}", json={"is_active": False})

    assert patched.status_code == 404, patched.json
    assert login(api, globex, "buyer@globex.test").status_code == 200


def test_a_buyer_cannot_manage_users(acme, api):
    buyer = api(acme, "buyer")

    assert buyer.get("/api/v1/users").status_code == 403
    invited = buyer.post(
        "/api/v1/users/invitations", json={"email": "x@acme.test", "name": "X", "role": "buyer"}
    )
    assert invited.status_code == 403
    patched = buyer.patch(
        f"/api/v1/users/{acme.users['dealer_admin'].id}", json={"is_active": False}
    )
    assert patched.status_code == 404


def test_a_suspended_dealers_admin_can_no_longer_invite(acme, api):
    api(acme, "owner").post(f"/api/v1/dealers/{acme.dealer_id}/suspend", json={"reason": "逾期"})

    invited = api(acme, "dealer_admin").post(
        "/api/v1/users/invitations", json={"email": "x@acme.test", "name": "X", "role": "buyer"}
    )

    assert invited.status_code == 401
