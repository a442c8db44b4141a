"""Organisation pages: sign-in, my account, stores, staff, roles, API keys, webhooks and the
audit log."""
