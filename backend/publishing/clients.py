"""Google API clients built from the discovery documents shipped inside google-api-python-client.

Discovery documents are never fetched: ``build_from_document`` gets the static copy, and the
endpoint comes from the settings (``client_options={"api_endpoint": ...}``), so a local server
can stand in for Google. One HTTP stack per client: httplib2 with a timeout and the
configured CA bundle, authorized by google-auth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import google.auth.transport.requests
import google_auth_httplib2
import httplib2
import requests
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document
from googleapiclient.discovery_cache import get_static_doc

from backend.settings import Settings


def _static_document(name: str, version: str) -> str:
    document = get_static_doc(name, version)
    if document is None:  # pragma: no cover - the package ships these two
        raise RuntimeError(f"google-api-python-client does not ship {name} {version}")
    return str(document)


def plain_http(settings: Settings) -> httplib2.Http:
    ca_certs = str(settings.google_ca_certs) if settings.google_ca_certs else None
    http = httplib2.Http(timeout=settings.google_http_timeout_seconds, ca_certs=ca_certs)
    # 308 is "Resume Incomplete" in the upload protocol, not a redirect (googleapiclient's
    # build_http does the same).
    http.redirect_codes = http.redirect_codes - {308}
    return http


class _VerifyingRequest(google.auth.transport.requests.Request):
    """Passes the CA bundle on every call (a session-wide ``verify`` loses to the env's)."""

    def __init__(self, session: requests.Session, ca_certs: str) -> None:
        super().__init__(session)
        self.ca_certs = ca_certs

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("verify", self.ca_certs)
        return super().__call__(*args, **kwargs)


def token_transport(settings: Settings) -> google.auth.transport.requests.Request:
    """google-auth's transport for the token and revoke endpoints (requests, same CA)."""
    session = requests.Session()
    if settings.google_ca_certs:
        return _VerifyingRequest(session, str(settings.google_ca_certs))
    return google.auth.transport.requests.Request(session)


def authorized_http(
    credentials: Credentials, settings: Settings
) -> google_auth_httplib2.AuthorizedHttp:
    """Bearer-authorized httplib2; an expired token is refreshed before a request is sent.

    A 401 is *not* retried inside google-auth (``refresh_status_codes=()``): its retry would
    re-send a half-read upload body. The callers refresh once themselves and retry the step.
    """
    return google_auth_httplib2.AuthorizedHttp(
        credentials, http=plain_http(settings), refresh_status_codes=()
    )


@dataclass
class YouTubeApi:
    """A YouTube Data API v3 client with the pieces the uploader needs beside it."""

    resource: Any
    http: google_auth_httplib2.AuthorizedHttp
    credentials: Credentials


def youtube(settings: Settings, credentials: Credentials) -> YouTubeApi:
    http = authorized_http(credentials, settings)
    resource = build_from_document(
        _static_document("youtube", "v3"),
        http=http,
        client_options={"api_endpoint": settings.youtube_api_url},
    )
    return YouTubeApi(resource=resource, http=http, credentials=credentials)


def youtube_analytics(settings: Settings, credentials: Credentials) -> Any:
    return build_from_document(
        _static_document("youtubeAnalytics", "v2"),
        http=authorized_http(credentials, settings),
        client_options={"api_endpoint": settings.youtube_analytics_api_url},
    )
