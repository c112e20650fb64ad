"""Invitations end to end: invite, the e-mailed link, accept with a password, sign in."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select, update

from dinghuo.db import utcnow
from dinghuo.platform.audit.models import AuditEntry
from dinghuo.platform.auth.models import Invitation

INVITE = "/api/v1/users/invitations"
ACCEPT = "/api/v1/auth/invitations/accept"
NEW_PASSWORD = "a-brand-new-secret-9"


def invite(api, world, who: str, **body):
    return api(world, who).post(INVITE, json=body)


def emailed_secret(caplog, to: str) -> str:
    """The invitation secret from the e-mail the embedded mode wrote to the log."""
    mails = [r for r in caplog.records if getattr(r, "email_to", None) == to]
    assert len(mails) == 1, "exactly one e-mail to the invitee"
    match = re.search(r"/invitations/([\w-]+)", mails[0].getMessage())
    assert match, mails[0].getMessage()
    return match.group(1)


def test_staff_invitation_end_to_end(acme, api, caplog, db):
    caplog.set_level(logging.INFO, logger="dinghuo.platform.notifications")
    response = invite(api, acme, "admin", email="New.Sales@acme.test", name="Xiao Li", role="sales")
    assert response.status_code == 201, response.json
    assert response.json["email"] == "new.sales@acme.test"
    assert "accept_url" not in response.json
    body = response.get_data(as_text=True)

    secret = emailed_secret(caplog, "new.sales@acme.test")
    assert secret not in body, "the link goes to the invitee only"
    mail = next(r for r in caplog.records if getattr(r, "email_to", None)).getMessage()
    assert f"http://{acme.host}/invitations/{secret}" in mail

    accepted = api(acme).post(ACCEPT, json={"token": secret, "password": NEW_PASSWORD})
    assert accepted.status_code == 201, accepted.json
    assert accepted.json["role"] == "sales"

    login = api(acme).post(
        "/api/v1/auth/login", json={"email": "new.sales@acme.test", "password": NEW_PASSWORD}
    )
    assert login.status_code == 200
    headers = {"Authorization": f"Bearer {login.json['token']}"}
    assert api(acme).get("/api/v1/tenant", headers=headers).status_code == 200

    with db.transaction(acme.id) as session:
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-3:] == ["user.invite", "invitation.accept", "auth.login"]


def test_used_invitation_is_refused(acme, api, caplog):
    caplog.set_level(logging.INFO, logger="dinghuo.platform.notifications")
    invite(api, acme, "owner", email="twice@acme.test", name="T", role="warehouse")
    secret = emailed_secret(caplog, "twice@acme.test")
    assert (
        api(acme).post(ACCEPT, json={"token": secret, "password": NEW_PASSWORD}).status_code == 201
    )
    again = api(acme).post(ACCEPT, json={"token": secret, "password": "another-password-1"})
    assert again.status_code == 409


def test_expired_invitation_is_refused(acme, api, caplog, db):
    caplog.set_level(logging.INFO, logger="dinghuo.platform.notifications")
    invite(api, acme, "owner", email="late@acme.test", name="L", role="finance")
    secret = emailed_secret(caplog, "late@acme.test")
    with db.transaction(acme.id) as session:
        session.execute(update(Invitation).values(expires_at=utcnow()))
    response = api(acme).post(ACCEPT, json={"token": secret, "password": NEW_PASSWORD})
    assert response.status_code == 404
    assert "expired" in response.json["error"]["message"]
    login = api(acme).post(
        "/api/v1/auth/login", json={"email": "late@acme.test", "password": NEW_PASSWORD}
    )
    assert login.status_code == 401


def test_invitation_of_one_tenant_is_unknown_at_another(acme, globex, api, caplog):
    caplog.set_level(logging.INFO, logger="dinghuo.platform.notifications")
    invite(api, acme, "owner", email="cross@acme.test", name="C", role="sales")
    secret = emailed_secret(caplog, "cross@acme.test")
    response = api(globex).post(ACCEPT, json={"token": secret, "password": NEW_PASSWORD})
    assert response.status_code == 404


def test_weak_password_is_refused_and_the_invitation_stays_usable(acme, api, caplog):
    caplog.set_level(logging.INFO, logger="dinghuo.platform.notifications")
    invite(api, acme, "owner", email="weak@acme.test", name="W", role="sales")
    secret = emailed_secret(caplog, "weak@acme.test")
    weak = api(acme).post(ACCEPT, json={"token": secret, "password": "short"})
    assert weak.status_code == 422 and "password" in weak.json["error"]["fields"]
    assert (
        api(acme).post(ACCEPT, json={"token": secret, "password": NEW_PASSWORD}).status_code == 201
    )


def test_admin_cannot_invite_an_owner_but_an_owner_can(acme, api):
    refused = invite(api, acme, "admin", email="boss@acme.test", name="B", role="owner")
    assert refused.status_code == 403
    assert (
        invite(api, acme, "owner", email="boss@acme.test", name="B", role="owner").status_code
        == 201
    )


@pytest.mark.parametrize("who", ["sales", "warehouse", "finance", "buyer"])
def test_roles_without_user_management_cannot_invite(acme, api, who):
    response = invite(api, acme, who, email="x@acme.test", name="X", role="buyer")
    assert response.status_code == 403


def test_dealer_admin_invites_only_into_their_own_dealer(acme, api):
    staff = invite(api, acme, "dealer_admin", email="s@acme.test", name="S", role="sales")
    assert staff.status_code == 403
    buyer = invite(
        api,
        acme,
        "dealer_admin",
        email="b@acme.test",
        name="B",
        role="buyer",
        dealer_id=acme.other_dealer_id,
    )
    assert buyer.status_code == 201
    assert buyer.json["dealer_id"] == acme.dealer_id
    pending = api(acme, "dealer_admin").get(INVITE).json["items"]
    assert [p["email"] for p in pending] == ["b@acme.test"]


def test_dealer_user_needs_a_dealer_of_this_tenant(acme, globex, api):
    missing = invite(api, acme, "owner", email="d@acme.test", name="D", role="buyer")
    assert missing.status_code == 422 and "dealer_id" in missing.json["error"]["fields"]
    foreign = invite(
        api, acme, "owner", email="d@acme.test", name="D", role="buyer", dealer_id=globex.dealer_id
    )
    assert foreign.status_code == 404
    staff_with_dealer = invite(
        api, acme, "owner", email="d@acme.test", name="D", role="sales", dealer_id=acme.dealer_id
    )
    assert staff_with_dealer.status_code == 422


def test_existing_user_cannot_be_invited(acme, api):
    response = invite(api, acme, "owner", email="SALES@acme.test", name="S", role="sales")
    assert response.status_code == 422
    assert "email" in response.json["error"]["fields"]


def test_failed_invitation_sends_no_email(acme, api, caplog):
    caplog.set_level(logging.INFO, logger="dinghuo.platform.notifications")
    invite(api, acme, "admin", email="boss@acme.test", name="B", role="owner")
    assert not [r for r in caplog.records if getattr(r, "email_to", None)]


def test_pending_invitations_are_listed_for_user_managers(acme, api, caplog):
    caplog.set_level(logging.INFO, logger="dinghuo.platform.notifications")
    invite(api, acme, "owner", email="p1@acme.test", name="P1", role="sales")
    invite(api, acme, "owner", email="p2@acme.test", name="P2", role="finance")
    secret = emailed_secret(caplog, "p1@acme.test")
    api(acme).post(ACCEPT, json={"token": secret, "password": NEW_PASSWORD})
    listed = api(acme, "admin").get(INVITE)
    assert listed.status_code == 200
    assert [i["email"] for i in listed.json["items"]] == ["p2@acme.test"]
    assert api(acme, "sales").get(INVITE).status_code == 403
