"""Reports: dashboards for branch managers (their branches) and administrators (the system)."""
