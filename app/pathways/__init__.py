"""Pathways by career stage: admins define them, staff follow them (issue 14)."""
