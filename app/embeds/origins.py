"""The origins (library websites) allowed to show the embeds in a frame: what an administrator
may list, kept normalised so that the CSP ``frame-ancestors`` of the embed pages can name them
as they are (app.security.allow_framing_by)."""

from __future__ import annotations

import datetime as dt
import re
from typing import NoReturn
from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from app.extensions import db
from app.models import EmbedOrigin, User
from app.rules import RuleViolation, unique_or_violation

DEFAULT_PORTS = {"http": 80, "https": 443}
# A host as CSP's host-source allows it: dot-separated labels of letters, digits and hyphens
# (an IPv6 address cannot be named there; IDNA names are written in their xn-- form).
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
MAX_LENGTH = 255


def normalise(text: str) -> str:
    """``https://Library.Example:443/`` -> ``https://library.example``: scheme and host in
    lower case, the default port left out, nothing after the host. Anything else (a path, a
    query, a wildcard, a user name, another scheme) is refused with what to write instead."""
    text = (text or "").strip()
    if not text:
        _refuse(_("Enter the website's address."))
    if "*" in text:
        _refuse(_("Wildcards are not allowed: name each website."))
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        _refuse(_("This is not a web address."))
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.netloc:
        _refuse(_("The address must start with https:// or http://."))
    if parts.username is not None or parts.password is not None:
        _refuse(_("A user name or password is not allowed."))
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        _refuse(_("Only the website itself: no path, query or # after the host."))
    host = _ascii_host(parts.hostname or "")
    if host is None:
        _refuse(_("This host name is not valid."))
    origin = f"{scheme}://{host}"
    if port == 0:
        _refuse(_("This port is not valid."))
    if port is not None and port != DEFAULT_PORTS[scheme]:
        origin += f":{port}"
    if len(origin) > MAX_LENGTH:
        _refuse(_("This address is too long."))
    return origin


def _refuse(problem: str) -> NoReturn:
    example = _("Write it as https://library.example (a port may follow: :8080).")
    raise RuleViolation(f"{problem} {example}", "origin")


def _ascii_host(hostname: str) -> str | None:
    """The host as CSP needs it (lower case, IDNA), or None when it cannot be one."""
    try:
        host = hostname.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = host.split(".")
    if not host or not all(_LABEL.match(label) for label in labels):
        return None
    return host


def allowed() -> list[EmbedOrigin]:
    """Every origin listed, in the order they were added."""
    return list(
        db.session.scalars(
            sa.select(EmbedOrigin)
            .options(so.joinedload(EmbedOrigin.added_by))
            .order_by(EmbedOrigin.id)
        )
    )


def frame_ancestors() -> list[str]:
    """What the embed pages' ``frame-ancestors`` names: the listed origins."""
    return list(db.session.scalars(sa.select(EmbedOrigin.origin).order_by(EmbedOrigin.id)))


def add(text: str, acting: User, now: dt.datetime) -> EmbedOrigin:
    """List one more origin; one already listed (however it was written) is refused."""
    origin = normalise(text)
    taken = _("%(origin)s is already allowed.", origin=origin)
    if db.session.scalar(sa.select(EmbedOrigin.id).where(EmbedOrigin.origin == origin)):
        raise RuleViolation(taken, "origin", conflict=True)
    item = EmbedOrigin(origin=origin, added_by=acting, created_at=now)
    with unique_or_violation(taken, "origin"):  # two admins adding it at once
        db.session.add(item)
    return item


def remove(item: EmbedOrigin) -> None:
    """The origin may no longer frame the embeds (from its next request on)."""
    db.session.delete(item)
    db.session.flush()
