"""The organisation: stores, staff, roles and permissions (`access`: the one place scopes
are enforced), sign-in and sessions, two-factor, API keys and the hash-chained audit log.

May use: models and `services.events`. Every other room builds on this one, never the
reverse.
"""
