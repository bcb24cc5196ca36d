"""The address a roster or a sheet shows for a place: none once the retention run or a deleted
account replaced it with a placeholder (app/privacy/services.py)."""

from __future__ import annotations

from app.models import Enrollment


def contact_email(place: Enrollment) -> str:
    return "" if place.contact_removed_at or place.anonymised_at else place.email
