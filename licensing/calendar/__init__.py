"""The working-day calendar: Chinese statutory holidays, make-up days, legal deadlines.

``core`` is pure arithmetic; ``services`` is what other domains call (see
docs/decisions/0003-working-day-calendar.md).
"""
