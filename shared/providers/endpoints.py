"""A vendor's WebSocket URL under an endpoint from settings (a region, a proxy, a test server)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

_WS_SCHEMES = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}


def websocket_url(base_url: str, path: str, vendor: str) -> str:
    """``path`` under ``base_url``: ``http://host:port`` -> ``ws://host:port<path>``.

    A bare host is taken as https; any scheme but http(s)/ws(s) is refused, naming ``vendor``.
    """
    parts = urlsplit(base_url if "://" in base_url else f"https://{base_url}")
    if parts.scheme not in _WS_SCHEMES:
        raise ValueError(f"{vendor}: unsupported URL scheme {parts.scheme!r}")
    return urlunsplit(
        (_WS_SCHEMES[parts.scheme], parts.netloc, parts.path.rstrip("/") + path, "", "")
    )
