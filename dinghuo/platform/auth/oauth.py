"""The OAuth2 authorization server for integrations (authlib): ``POST /oauth/token``.

Only the ``client_credentials`` grant exists: an ERP or BI tool authenticates
with the client id and secret a tenant admin registered
(``client_secret_basic`` or ``client_secret_post``) and receives a short-lived
bearer token limited to the scopes it asks for, which must be among the
client's own. Clients are looked up in the request's tenant only, so a client
of one tenant is unknown at another. Issued tokens are ordinary
:class:`~dinghuo.platform.auth.models.ApiToken` rows; the bearer
authentication of :mod:`dinghuo.web` and ``requires(...)`` enforce their
scopes like a user's permissions. Errors follow RFC 6749 section 5.2.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Request, grants
from authlib.oauth2.rfc6749.errors import (
    InsecureTransportError,
    InvalidClientError,
    InvalidScopeError,
)
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from flask import Blueprint, Flask, Request, Response, current_app
from flask import request as flask_request

from dinghuo.platform.auth import service
from dinghuo.platform.auth.models import OAuthClient
from dinghuo.platform.auth.throttle import limiter, login_key, login_limit
from dinghuo.web import current_tenant, db_session

CLIENT_TOKEN_TTL = dt.timedelta(hours=1)
AUTH_METHODS = ("client_secret_basic", "client_secret_post")


class IntegrationClient(ClientMixin):
    """authlib's view of an :class:`OAuthClient` row (the model stays free of authlib)."""

    def __init__(self, row: OAuthClient) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        """No scope asked for means every scope of the client (RFC 6749 section 3.3)."""
        if not scope:
            return list_to_scope(sorted(self.row.scopes))
        allowed = set(self.row.scopes)
        return list_to_scope([s for s in scope_to_list(scope) if s in allowed])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return service.client_secret_matches(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)

    def validate_requested_scope(self) -> None:
        """Every requested scope must be one of the client's (else ``invalid_scope``)."""
        requested = scope_to_list(self.request.payload.scope) or []
        client: IntegrationClient = self.request.client
        beyond = sorted(set(requested) - set(client.row.scopes))
        if beyond:
            raise InvalidScopeError(
                description=f"The client holds no such scopes: {' '.join(beyond)}."
            )


class TenantOAuth2Request(FlaskOAuth2Request):
    """authlib's request, with ``*.localhost`` tenants treated as loopback.

    authlib refuses plain HTTP except for the bare name ``localhost``; in the
    embedded mode tenants live at ``<slug>.localhost``, which RFC 6761 also
    reserves for loopback. Every other host still needs HTTPS.
    """

    def __init__(self, flask_request: Request) -> None:
        url = flask_request.url
        parts = urlsplit(url)
        checked = url
        if parts.scheme == "http" and (parts.hostname or "").endswith(".localhost"):
            port = f":{parts.port}" if parts.port else ""
            checked = urlunsplit(parts._replace(netloc=f"localhost{port}"))
        OAuth2Request.__init__(
            self, method=flask_request.method, uri=checked, headers=flask_request.headers
        )
        self.uri = url
        self._request = flask_request
        self.payload = FlaskOAuth2Payload(flask_request)


class DinghuoAuthorizationServer(AuthorizationServer):
    """One answer for every failed client authentication: 401 ``invalid_client``.

    authlib answers 400 for an unknown client sent in the body and names the
    reason; telling an unknown id from a wrong secret would be an oracle.
    """

    def create_oauth2_request(self, request: Any) -> TenantOAuth2Request:
        return TenantOAuth2Request(flask_request)

    def authenticate_client(self, request: Any, methods: Any, endpoint: str = "token") -> Any:
        try:
            return super().authenticate_client(request, methods, endpoint)
        except InvalidClientError as error:
            raise InvalidClientError(
                status_code=401, description="Client authentication failed."
            ) from error


def _query_client(client_id: str) -> IntegrationClient | None:
    if current_tenant() is None:
        return None
    row = service.find_active_client(db_session(), client_id)
    return IntegrationClient(row) if row is not None else None


def _save_token(token: dict[str, Any], request: Any) -> None:
    service.issue_client_token(
        db_session(),
        request.client.row,
        secret=token["access_token"],
        scopes=scope_to_list(token.get("scope")) or [],
        ttl=dt.timedelta(seconds=token["expires_in"]),
    )


bp = Blueprint("oauth", __name__)


@bp.post("/oauth/token")
@limiter.limit(login_limit, key_func=login_key)
def token() -> Response:
    """RFC 6749 token endpoint (form-encoded); the one grant is ``client_credentials``."""
    server: DinghuoAuthorizationServer = current_app.extensions["dinghuo.oauth_server"]
    try:
        return server.create_token_response()
    except InsecureTransportError as error:
        return server.handle_error_response(None, error)


def init_app(app: Flask) -> None:
    server = DinghuoAuthorizationServer()
    server.init_app(app, query_client=_query_client, save_token=_save_token)
    server.register_token_generator(
        "default",
        BearerTokenGenerator(
            lambda **_: service.new_token_secret(),
            expires_generator=int(CLIENT_TOKEN_TTL.total_seconds()),
        ),
    )
    server.register_grant(ClientCredentialsGrant)
    app.register_blueprint(bp)
    app.extensions["dinghuo.oauth_server"] = server
