"""A fake YouTube (Data API v3 + Google OAuth), a real HTTPS server on 127.0.0.1 in a thread.

The real googleapiclient, google-auth and httplib2 talk to it over TLS (a throwaway CA made
here; point ``YTE_GOOGLE_CA_CERTS`` at ``fake.ca_path``). It implements what publishing uses:

* OAuth: ``GET /o/oauth2/auth`` (auto-consents, remembers the PKCE challenge, redirects with
  ``code`` and ``state``), ``POST /token`` (authorization_code with ``code_verifier`` checked
  against the S256 challenge; refresh_token), ``POST /revoke``.
* ``GET /youtube/v3/channels?mine=true``, ``GET /youtube/v3/videos``, captions list/insert,
  ``POST /upload/youtube/v3/thumbnails/set``.
* The resumable upload protocol: initiate (``Location`` = session URI), chunk ``PUT`` answered
  308 with ``Range``, the status query (``Content-Range: bytes */N``), and a final 200 with the
  video resource; a finished session keeps answering the status query with the video.
* Error injection (:meth:`fail_next`, :meth:`drop_next`), holds for crash tests
  (:meth:`hold`), and a request log.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import email.parser
import email.policy
import hashlib
import ipaddress
import json
import secrets
import socket
import ssl
import struct
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

GRANULE = 256 * 1024
CLIENT_ID = "123456789012-fake.apps.googleusercontent.com"
CLIENT_SECRET = "fake-client-secret-" + "s" * 16
PROJECT_ID = "ytempire-fake-project"


def make_certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-youtube")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fake-youtube.pem", directory / "fake-youtube.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def tags_total(tags: list[str]) -> int:
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + max(len(tags) - 1, 0)


@dataclass
class Fault:
    op: str
    status: int = 503
    reason: str = "backendError"
    message: str = "injected"
    drop: bool = False
    skip: int = 0  # let this many matching requests through first


@dataclass
class Hold:
    """Stop before answering a matching chunk (after storing it) until released."""

    final: bool  # the chunk that completes the upload, else the first at/after `at_byte`
    at_byte: int = 0
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@dataclass
class Session:
    upload_id: str
    size: int
    body: dict[str, Any]
    path: Path
    channel_id: str
    received: int = 0
    video_id: str | None = None


@dataclass
class Video:
    resource: dict[str, Any]
    path: Path
    size: int

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


class FakeYouTube:
    def __init__(self, directory: Path, *, access_ttl: int = 3600) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca_path, key_path = make_certificate(directory)
        self.access_ttl = access_ttl
        self.lock = threading.RLock()
        self.channel = {"id": "UCfakeChannel0000000001", "title": "Fake Space Facts"}
        self.codes: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, str]] = []
        self.revoked: list[str] = []
        self.sessions: dict[str, Session] = {}
        self.videos: dict[str, Video] = {}
        self.thumbnails: dict[str, bytes] = {}
        self.captions: dict[str, list[dict[str, Any]]] = {}
        self.custom_thumbnails_allowed = True
        self.force_private = False  # an unverified API project: uploads are locked private
        self.faults: list[Fault] = []
        self.holds: list[Hold] = []
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self.wire_bytes = 0  # upload body bytes read, counting what is sent more than once
        self.injected: list[str] = []
        # More authorized GET endpoints (the Analytics API lives in tests/fakes/):
        # path -> handler(fake, query) -> (status, JSON body).
        self.get_routes: dict[str, Callable[[FakeYouTube, dict[str, str]], tuple[int, Any]]] = {}
        # Scopes the owner unticks on the consent screen (Google's granular consent).
        self.withheld_scopes: set[str] = set()
        self.caller = threading.local()  # the bearer token of the request being answered
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_path, key_path)
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeYouTube:
        self._thread.start()
        return self

    def stop(self) -> None:
        for hold in self.holds:
            hold.release.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeYouTube:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def settings(self) -> dict[str, Any]:
        """Settings fields that point the appliance at this fake."""
        return {
            "youtube_api_url": self.url,
            "youtube_analytics_api_url": self.url,
            "google_oauth_auth_url": self.url + "o/oauth2/auth",
            "google_oauth_token_url": self.url + "token",
            "google_oauth_revoke_url": self.url + "revoke",
            "google_ca_certs": self.ca_path,
        }

    def env(self) -> dict[str, str]:
        return {f"YTE_{k.upper()}": str(v) for k, v in self.settings().items()}

    @staticmethod
    def client_json(redirect_uri: str = "http://127.0.0.1:8000/oauth/youtube/callback") -> str:
        return json.dumps(
            {
                "web": {
                    "client_id": CLIENT_ID,
                    "project_id": PROJECT_ID,
                    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                    "token_uri": "https://oauth2.googleapis.com/token",
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": [redirect_uri],
                }
            }
        )

    # -- test controls -----------------------------------------------------------------------
    def fail_next(
        self,
        op: str,
        status: int = 503,
        reason: str = "backendError",
        *,
        skip: int = 0,
        message: str = "injected",
    ) -> None:
        with self.lock:
            self.faults.append(Fault(op, status, reason, message, skip=skip))

    def drop_next(self, op: str = "chunk", *, skip: int = 0) -> None:
        with self.lock:
            self.faults.append(Fault(op, drop=True, skip=skip))

    def hold(self, *, final: bool = False, at_byte: int = 0) -> Hold:
        hold = Hold(final=final, at_byte=at_byte)
        with self.lock:
            self.holds.append(hold)
        return hold

    def grant(self) -> tuple[str, str]:
        """A refresh and access token as if the owner had consented (for tests past OAuth)."""
        refresh = "1//fake-refresh-" + secrets.token_urlsafe(16)
        with self.lock:
            self.refresh_tokens[refresh] = {"revoked": False, "channel": self.channel["id"]}
            access = self._new_access(refresh)
        return refresh, access

    def caller_grant(self) -> dict[str, Any]:
        """The grant behind the current request's token: its channel and granted scope
        (``scope`` absent: every scope). For ``get_routes`` handlers."""
        token = getattr(self.caller, "token", "")
        with self.lock:
            info = self.access_tokens.get(token)
            return dict(self.refresh_tokens.get(info["refresh"], {})) if info else {}

    def expire_access_tokens(self) -> None:
        with self.lock:
            for info in self.access_tokens.values():
                info["expires"] = 0.0

    def revoke_grant(self, refresh: str | None = None) -> None:
        """The owner revoked access in their Google account."""
        with self.lock:
            for token, info in self.refresh_tokens.items():
                if refresh is None or token == refresh:
                    info["revoked"] = True
            self.access_tokens = {
                a: i
                for a, i in self.access_tokens.items()
                if not self.refresh_tokens.get(i["refresh"], {}).get("revoked")
            }

    def requests(
        self, method: str | None = None, path: str | None = None
    ) -> list[tuple[str, str, dict[str, str]]]:
        with self.lock:
            return [
                r
                for r in self.log
                if (method is None or r[0] == method) and (path is None or r[1].startswith(path))
            ]

    # -- internals ---------------------------------------------------------------------------
    def _new_access(self, refresh: str) -> str:
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        self.access_tokens[token] = {"refresh": refresh, "expires": time.time() + self.access_ttl}
        return token

    def _fault(self, op: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.op == op:
                    if fault.skip > 0:
                        fault.skip -= 1
                        return None
                    self.faults.remove(fault)
                    self.injected.append(f"{op}:{'drop' if fault.drop else fault.status}")
                    return fault
        return None


def _error(status: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"domain": "youtube", "reason": reason, "message": message}],
        }
    }


class _Dropped(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    fake: FakeYouTube
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (_Dropped, ConnectionError, ssl.SSLError, OSError):
            self.close_connection = True

    # -- plumbing ----------------------------------------------------------------------------
    def _split(self) -> tuple[str, dict[str, str]]:
        parsed = urllib.parse.urlsplit(self.path)
        return parsed.path, {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query).items()}

    def _length(self) -> int:
        return int(self.headers.get("Content-Length") or 0)

    def _body(self) -> bytes:
        length = self._length()
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        payload: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload).encode() if payload is not None else b""
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if payload is not None:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        raise _Dropped()

    def _record(self, method: str) -> None:
        path, _ = self._split()
        keep = {  # names lower-cased
            k.lower(): v
            for k, v in self.headers.items()
            if k.lower() in {"content-range", "content-length", "authorization", "content-type"}
        }
        with self.fake.lock:
            self.fake.log.append((method, self.path, keep))
        del path

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        with self.fake.lock:
            info = self.fake.access_tokens.get(token)
            ok = info is not None and info["expires"] > time.time()
        self.fake.caller.token = token if ok else ""
        if not ok:
            self._body()
            self._send(
                401,
                {
                    "error": {
                        "code": 401,
                        "message": "Request had invalid authentication credentials.",
                        "errors": [{"reason": "authError", "message": "Invalid Credentials"}],
                        "status": "UNAUTHENTICATED",
                    }
                },
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        return ok

    def _inject(self, op: str) -> bool:
        fault = self.fake._fault(op)
        if fault is None:
            return False
        if fault.drop:
            length = self._length()
            if length:
                self.rfile.read(max(1, length // 2))
            self._drop()
        self._body()
        self._send(fault.status, _error(fault.status, fault.reason, fault.message))
        return True

    # -- verbs -------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._record("GET")
        path, query = self._split()
        if path == "/o/oauth2/auth":
            return self._consent(query)
        if not self._authorized():
            return None
        if path == "/youtube/v3/channels":
            if self._inject("channels"):
                return None
            if query.get("mine") != "true":
                return self._send(400, _error(400, "missingParameter", "mine=true expected"))
            return self._send(
                200,
                {
                    "kind": "youtube#channelListResponse",
                    "items": [
                        {
                            "kind": "youtube#channel",
                            "id": self.fake.channel["id"],
                            "snippet": {"title": self.fake.channel["title"]},
                        }
                    ],
                },
            )
        if path == "/youtube/v3/videos":
            ids = query.get("id", "").split(",")
            with self.fake.lock:
                items = [self.fake.videos[i].resource for i in ids if i in self.fake.videos]
            return self._send(200, {"kind": "youtube#videoListResponse", "items": items})
        if path == "/youtube/v3/captions":
            with self.fake.lock:
                items = list(self.fake.captions.get(query.get("videoId", ""), []))
            return self._send(200, {"kind": "youtube#captionListResponse", "items": items})
        route = self.fake.get_routes.get(path)
        if route is not None:
            status, body = route(self.fake, query)
            return self._send(status, body)
        return self._send(404, _error(404, "notFound", path))

    def do_POST(self) -> None:
        self._record("POST")
        path, query = self._split()
        if path == "/token":
            return self._token()
        if path == "/revoke":
            return self._revoke(query)
        if not self._authorized():
            return None
        route = self.fake.get_routes.get(path)
        if route is not None and self.headers.get("X-HTTP-Method-Override") == "GET":
            # googleapiclient sends a GET whose URL is over 2,000 characters as a POST with
            # the query in the body (Google honours the override).
            form = urllib.parse.parse_qs(self._body().decode())
            status, body = route(self.fake, {**query, **{k: v[-1] for k, v in form.items()}})
            return self._send(status, body)
        if path == "/upload/youtube/v3/videos":
            return self._initiate(query)
        if path == "/upload/youtube/v3/thumbnails/set":
            return self._thumbnail(query)
        if path == "/upload/youtube/v3/captions":
            return self._caption()
        self._body()
        return self._send(404, _error(404, "notFound", path))

    def do_PUT(self) -> None:
        self._record("PUT")
        path, query = self._split()
        if path != "/upload/youtube/v3/videos" or "upload_id" not in query:
            self._body()
            return self._send(404, _error(404, "notFound", path))
        if not self._authorized():
            return None
        return self._chunk(query["upload_id"])

    # -- OAuth -------------------------------------------------------------------------------
    def _consent(self, query: dict[str, str]) -> None:
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return self._send(400, {"error": "invalid_request"})
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return self._send(400, {"error": "invalid_request", "error_description": "PKCE"})
        code = "4/fake-code-" + secrets.token_urlsafe(12)
        withheld = self.fake.withheld_scopes
        scope = " ".join(s for s in query.get("scope", "").split() if s not in withheld)
        with self.fake.lock:
            self.fake.codes[code] = {
                "challenge": query["code_challenge"],
                "redirect_uri": query.get("redirect_uri", ""),
                "scope": scope,
                "offline": query.get("access_type") == "offline",
            }
        target = (
            query.get("redirect_uri", "")
            + "?"
            + urllib.parse.urlencode(
                {"state": query.get("state", ""), "code": code, "scope": scope}
            )
        )
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _token(self) -> None:
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(self._body().decode()).items()}
        with self.fake.lock:
            self.fake.token_requests.append(form)
        if self.fake._fault("token") is not None:
            return self._send(503, {"error": "backend_error"})
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return self._send(401, {"error": "invalid_client"})
        grant = form.get("grant_type")
        with self.fake.lock:
            if grant == "authorization_code":
                info = self.fake.codes.pop(form.get("code", ""), None)
                if info is None:
                    return self._send(
                        400, {"error": "invalid_grant", "error_description": "Malformed auth code."}
                    )
                verifier = form.get("code_verifier", "")
                digest = hashlib.sha256(verifier.encode()).digest()
                if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != info["challenge"]:
                    return self._send(
                        400,
                        {"error": "invalid_grant", "error_description": "Invalid code verifier."},
                    )
                if form.get("redirect_uri") != info["redirect_uri"]:
                    return self._send(400, {"error": "redirect_uri_mismatch"})
                refresh = "1//fake-refresh-" + secrets.token_urlsafe(16)
                self.fake.refresh_tokens[refresh] = {
                    "revoked": False,
                    "channel": self.fake.channel["id"],
                    "scope": info["scope"],
                }
                access = self.fake._new_access(refresh)
                return self._send(
                    200,
                    {
                        "access_token": access,
                        "expires_in": self.fake.access_ttl,
                        "refresh_token": refresh,
                        "scope": info["scope"],
                        "token_type": "Bearer",
                    },
                )
            if grant == "refresh_token":
                refresh = form.get("refresh_token", "")
                state = self.fake.refresh_tokens.get(refresh)
                if state is None or state["revoked"]:
                    return self._send(
                        400,
                        {
                            "error": "invalid_grant",
                            "error_description": "Token has been expired or revoked.",
                        },
                    )
                access = self.fake._new_access(refresh)
                return self._send(
                    200,
                    {
                        "access_token": access,
                        "expires_in": self.fake.access_ttl,
                        "token_type": "Bearer",
                    },
                )
        return self._send(400, {"error": "unsupported_grant_type"})

    def _revoke(self, query: dict[str, str]) -> None:
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(self._body().decode()).items()}
        token = form.get("token") or query.get("token", "")
        with self.fake.lock:
            if token in self.fake.refresh_tokens and not self.fake.refresh_tokens[token]["revoked"]:
                self.fake.revoked.append(token)
                self.fake.revoke_grant(token)
                return self._send(200, {})
            if token in self.fake.access_tokens:
                self.fake.revoked.append(token)
                refresh = self.fake.access_tokens[token]["refresh"]
                self.fake.revoke_grant(refresh)
                return self._send(200, {})
        return self._send(
            400, {"error": "invalid_token", "error_description": "Token expired or revoked"}
        )

    # -- uploads -----------------------------------------------------------------------------
    def _initiate(self, query: dict[str, str]) -> None:
        if self._inject("initiate"):
            return None
        raw = self._body()
        if query.get("uploadType") != "resumable":
            return self._send(400, _error(400, "badRequest", "resumable uploads only"))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._send(400, _error(400, "parseError", "body is not JSON"))
        size = self.headers.get("X-Upload-Content-Length")
        if not size or not size.isdigit():
            return self._send(400, _error(400, "badRequest", "X-Upload-Content-Length missing"))
        snippet, status = body.get("snippet") or {}, body.get("status") or {}
        problem = self._check_metadata(snippet, status)
        if problem:
            return self._send(400, _error(400, problem[0], problem[1]))
        upload_id = secrets.token_urlsafe(12)
        with self.fake.lock:
            self.fake.sessions[upload_id] = Session(
                upload_id,
                int(size),
                body,
                self.fake.directory / f"upload-{upload_id}.bin",
                self.fake.channel["id"],
            )
            self.fake.sessions[upload_id].path.write_bytes(b"")
        location = (
            f"{self.fake.url}upload/youtube/v3/videos?uploadType=resumable&upload_id={upload_id}"
        )
        return self._send(200, None, {"Location": location, "X-GUploader-UploadID": upload_id})

    @staticmethod
    def _check_metadata(snippet: dict[str, Any], status: dict[str, Any]) -> tuple[str, str] | None:
        title = snippet.get("title") or ""
        if not title or len(title) > 100 or "<" in title or ">" in title:
            return "invalidTitle", "The request metadata specifies an invalid video title."
        if len((snippet.get("description") or "").encode()) > 5000:
            return "invalidDescription", "The request metadata specifies an invalid description."
        if tags_total(list(snippet.get("tags") or [])) > 500:
            return "invalidTags", "The request metadata specifies invalid video keywords."
        if "selfDeclaredMadeForKids" not in status:
            return "invalidVideoMetadata", "selfDeclaredMadeForKids is required here."
        if status.get("publishAt") and status.get("privacyStatus") != "private":
            return "invalidPublishAt", "A scheduled video must be private."
        return None

    def _chunk(self, upload_id: str) -> None:
        fake = self.fake
        with fake.lock:
            session = fake.sessions.get(upload_id)
        if session is None:
            self._body()
            return self._send(404, _error(404, "notFound", "upload session not found"))
        content_range = self.headers.get("Content-Range", "")
        length = self._length()
        if content_range.startswith("bytes */"):  # status query
            if self._inject("status"):
                return None
            self._body()
            return self._answer_progress(session)
        if self._inject("chunk"):
            return None
        try:
            spec, total = content_range[len("bytes ") :].split("/")
            start, end = (int(x) for x in spec.split("-"))
        except ValueError:
            self._body()
            return self._send(
                400, _error(400, "badRequest", f"bad Content-Range {content_range!r}")
            )
        if int(total) != session.size or end - start + 1 != length:
            self._body()
            return self._send(400, _error(400, "badRequest", "Content-Range does not match"))
        final = end + 1 == session.size
        if not final and length % GRANULE:
            self._body()
            return self._send(400, _error(400, "badRequest", "chunk not a multiple of 256 KiB"))
        if session.video_id is not None:
            self._body()
            return self._answer_progress(session)
        if start > session.received:
            self._body()
            return self._send(
                400, _error(400, "badRequest", "chunk starts past the received bytes")
            )
        # Read the body to a file; bytes we already hold (a resend) are skipped.
        skip = session.received - start
        remaining = length
        with session.path.open("r+b") as out:
            out.seek(session.received)
            while remaining:
                block = self.rfile.read(min(1 << 20, remaining))
                if not block:
                    raise _Dropped()
                remaining -= len(block)
                with fake.lock:
                    fake.wire_bytes += len(block)
                if skip >= len(block):
                    skip -= len(block)
                    continue
                out.write(block[skip:])
                skip = 0
        with fake.lock:
            session.received = end + 1
            if final:
                self._finish(session)
        self._maybe_hold(session, start, final)
        return self._answer_progress(session)

    def _finish(self, session: Session) -> None:
        fake = self.fake
        video_id = secrets.token_urlsafe(8)[:11]
        snippet = dict(session.body.get("snippet") or {})
        snippet.update(
            {"channelId": session.channel_id, "publishedAt": dt.datetime.now(dt.UTC).isoformat()}
        )
        status = dict(session.body.get("status") or {})
        status["uploadStatus"] = "uploaded"
        if fake.force_private:
            status["privacyStatus"] = "private"
        resource = {"kind": "youtube#video", "id": video_id, "snippet": snippet, "status": status}
        final_path = fake.directory / f"video-{video_id}.bin"
        session.path.rename(final_path)
        session.path = final_path
        fake.videos[video_id] = Video(resource, final_path, session.size)
        session.video_id = video_id

    def _maybe_hold(self, session: Session, start: int, final: bool) -> None:
        with self.fake.lock:
            hold = next(
                (
                    h
                    for h in self.fake.holds
                    if not h.reached.is_set()
                    and ((h.final and final) or (not h.final and start >= h.at_byte))
                ),
                None,
            )
        if hold is None:
            return
        hold.reached.set()
        hold.release.wait(timeout=60)
        # The client that sent this chunk is normally dead by now; answer anyway.

    def _answer_progress(self, session: Session) -> None:
        if session.video_id is not None:
            with self.fake.lock:
                resource = self.fake.videos[session.video_id].resource
            return self._send(200, resource)
        headers = {"Range": f"bytes=0-{session.received - 1}"} if session.received else {}
        return self._send(308, None, headers)

    def _thumbnail(self, query: dict[str, str]) -> None:
        if self._inject("thumbnail"):
            return None
        data = self._body()
        video_id = query.get("videoId", "")
        if video_id not in self.fake.videos:
            return self._send(404, _error(404, "videoNotFound", "video not found"))
        if not self.fake.custom_thumbnails_allowed:
            return self._send(
                403,
                _error(
                    403,
                    "forbidden",
                    "The authenticated user doesn't have permissions to upload and set custom "
                    "video thumbnails.",
                ),
            )
        with self.fake.lock:
            self.fake.thumbnails[video_id] = data
        return self._send(
            200,
            {
                "kind": "youtube#thumbnailSetResponse",
                "items": [{"default": {"url": f"{self.fake.url}t/{video_id}"}}],
            },
        )

    def _caption(self) -> None:
        if self._inject("caption"):
            return None
        raw = self._body()
        ctype = self.headers.get("Content-Type", "")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + raw
        )
        parts = list(message.iter_parts()) if message.is_multipart() else []
        if len(parts) != 2:
            return self._send(400, _error(400, "badRequest", "multipart body expected"))
        meta = json.loads(bytes(parts[0].get_payload(decode=True)))
        track = bytes(parts[1].get_payload(decode=True))
        snippet = meta.get("snippet") or {}
        video_id = snippet.get("videoId", "")
        if video_id not in self.fake.videos:
            return self._send(404, _error(404, "videoNotFound", "video not found"))
        caption = {
            "kind": "youtube#caption",
            "id": "cap-" + secrets.token_urlsafe(8),
            "snippet": {**snippet, "trackKind": "standard"},
            "_bytes": len(track),
            "_text": track.decode("utf-8", "replace"),
        }
        with self.fake.lock:
            self.fake.captions.setdefault(video_id, []).append(caption)
        return self._send(200, caption)
