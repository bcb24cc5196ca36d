"""Evaluation at a circle's end: the participants' survey, the facilitators' wrap-up and
per-meeting reflections, and the results (course page, reports, a circle's results page)."""
