"""The domain: every use case as a function taking an Actor and a session, in rooms (org,
members, loyalty, messaging, reports, portal, operations) and three shared modules
(`events`, `phones`, `spreadsheet_cells`).

May use: models and the modules below them (db, settings, i18n, errors, money, sealed).
Never workflows, pages or the API: the engine calls services, not the reverse.
"""
