"""Organisation pages: sign-in, my account (two-factor), stores, staff, roles, API keys,
webhooks, the audit log and operations.

May use: `pages.session`, `pages.layout`, components, services (org, messaging, portal) and
the operations views (`workflows.operations_view`, `workflows.failed_jobs`).
"""
