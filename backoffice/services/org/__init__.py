"""The organisation: stores, staff, roles and permissions (`access`: the one place scopes
are enforced), sign-in and sessions, two-factor (`two_factor` over `authenticator`), API keys
and their idempotency records, and the hash-chained audit log.

May use: models and `services.phones`. Every other room builds on this one, never the
reverse.
"""
