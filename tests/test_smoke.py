def test_owner_signs_in_and_reads_their_tenant(acme, api):
    response = api(acme).post(
        "/api/v1/auth/login", json={"email": "owner@acme.test", "password": "correct-horse-42"}
    )
    assert response.status_code == 200, response.json
    token = response.json["token"]
    me = api(acme).get("/api/v1/tenant", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.json
    assert me.json["slug"] == "acme"
