"""Reusable UI pieces: functions returning rx.Component, no database access."""
