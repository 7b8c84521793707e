"""A fake of the province's unified identity platform, for development, the demo and tests.

A real HTTP server on a thread: the discovery document, the JWKS, an authorization page where
the "person" approves or refuses, and a token endpoint that checks the client secret, the
redirect URI and the PKCE verifier, and answers an ID token signed RS256 (joserfc) with a key
generated at start. ``mode`` makes it misbehave the ways a real provider can: ``bad_signature``
(signed with another key), ``wrong_nonce``, ``wrong_audience``, ``expired``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

MODES = ("normal", "bad_signature", "wrong_nonce", "wrong_audience", "expired")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _reply(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = (json.dumps(body) if content_type == "application/json" else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/.well-known/openid-configuration":
            self._reply(200, fake.discovery())
        elif parts.path == "/jwks":
            self._reply(200, fake.public_jwks())
        elif parts.path == "/authorize":
            self._reply(200, fake.authorize_page(query), "text/html")
        else:
            self._reply(404, {"error": "not_found"})

    def do_POST(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        path = urlsplit(self.path).path
        if path == "/authorize":
            self._redirect(fake.decide(form))
        elif path == "/token":
            status, body = fake.token(form, self.headers.get("Authorization"))
            self._reply(status, body)
        else:
            self._reply(404, {"error": "not_found"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeIdentityProvider


class FakeIdentityProvider:
    """The fake platform; ``start()`` serves it on ``host`` (a free port when ``port`` is 0)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 client_id: str = "licensing", client_secret: str | None = None):
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(4),
                                                         "use": "sig", "alg": "RS256"})
        self._other_key = RSAKey.generate_key(2048, parameters={"kid": self.key.kid})
        self.mode = "normal"
        #: The person who "signs in" next, as the platform would verify them.
        self.person: dict[str, Any] = {}
        self._codes: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._server = _Server((host, port), _Handler)
        self._server.fake = self
        self._thread: threading.Thread | None = None

    # --- life ---------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        """The issuer, which is also the base URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def discovery_url(self) -> str:
        """Where the discovery document is served."""
        return f"{self.issuer}/.well-known/openid-configuration"

    def start(self) -> FakeIdentityProvider:
        """Serve on a daemon thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Serve in the foreground (the demo command)."""
        self._server.serve_forever()

    def set_person(self, subject: str, name: str, id_number: str,
                   represents: list[dict[str, str]] | None = None) -> None:
        """Who the next sign-in is, and the companies the register says they represent."""
        self.person = {"sub": subject, "name": name, "id_number": id_number,
                       "legal_representative_of": list(represents or [])}

    # --- protocol -----------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        """The OpenID Provider metadata."""
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
            "scopes_supported": ["openid", "profile"],
        }

    def public_jwks(self) -> dict[str, Any]:
        """The public signing key."""
        return KeySet([self.key]).as_dict(private=False)

    def authorize_page(self, query: dict[str, str]) -> str:
        """The page where the person approves the sign-in (it carries the request along)."""
        error = self._check_request(query)
        if error:
            return f"<!doctype html><title>错误</title><p id='idp-error'>{html.escape(error)}</p>"
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in query.items())
        who = html.escape(self.person.get("name", "（未设置）"))
        return ("<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>统一身份认证平台"
                f"</title><h1>统一身份认证平台（测试）</h1><p>登录人：<span id='idp-person'>{who}"
                f"</span></p><form method='post' action='/authorize'>{hidden}"
                "<button name='decision' value='approve' id='idp-approve'>同意授权</button>"
                "<button name='decision' value='deny' id='idp-deny'>拒绝</button></form></html>")

    def _check_request(self, query: dict[str, str]) -> str | None:
        if query.get("client_id") != self.client_id:
            return "unknown client"
        if query.get("response_type") != "code":
            return "unsupported response_type"
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return "PKCE S256 required"
        if not query.get("state") or not query.get("nonce") or not query.get("redirect_uri"):
            return "state, nonce and redirect_uri required"
        if not self.person:
            return "no person set"
        return None

    def decide(self, form: dict[str, str]) -> str:
        """Issue a code (or the refusal) and return where the browser goes back to."""
        redirect_uri = form.get("redirect_uri", "")
        error = self._check_request(form)
        if error:
            answer = {"error": "invalid_request", "state": form.get("state", "")}
            return f"{redirect_uri}?{urlencode(answer)}"
        if form.get("decision") != "approve":
            return f"{redirect_uri}?{urlencode({'error': 'access_denied', 'state': form['state']})}"
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {"redirect_uri": redirect_uri, "nonce": form["nonce"],
                                 "challenge": form["code_challenge"], "person": dict(self.person),
                                 "issued": time.time()}
        return f"{redirect_uri}?{urlencode({'code': code, 'state': form['state']})}"

    def _client_ok(self, form: dict[str, str], authorization: str | None) -> bool:
        if authorization and authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, secret = decoded.partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return client_id == self.client_id and secrets.compare_digest(secret, self.client_secret)

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict]:
        """Exchange a code for tokens, checking the client, the redirect URI and PKCE."""
        if not self._client_ok(form, authorization):
            return 401, {"error": "invalid_client"}
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        if grant is None or time.time() - grant["issued"] > 60:
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or challenge != grant["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time())
        claims = {**grant["person"], "iss": self.issuer, "aud": self.client_id, "iat": now,
                  "exp": now + 300, "nonce": grant["nonce"]}
        if self.mode == "wrong_nonce":
            claims["nonce"] = "not-the-nonce"
        elif self.mode == "wrong_audience":
            claims["aud"] = "someone-else"
        elif self.mode == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 1800
        key = self._other_key if self.mode == "bad_signature" else self.key
        id_token = jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, key)
        return 200, {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer",
                     "expires_in": 300, "id_token": id_token}
