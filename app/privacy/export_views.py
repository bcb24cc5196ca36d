"""A person's own data as a zip (and an administrator's copy of anyone's: a subject access
request), and the log of who saw or exported personal data."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("privacy_export", __name__)
