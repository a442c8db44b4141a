"""Reusable UI pieces: functions returning rx.Component (dialogs, fields, tables, the flow
canvas, report charts) and the text they share (`tier_text`), parameterised, no state.

May use: `i18n` and Reflex only. No services, engine, models or database: pages pass data in.
"""
