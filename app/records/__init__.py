"""Learning records, certificates of completion and the impact report (issue 14)."""
