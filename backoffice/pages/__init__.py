"""Reflex pages, grouped by room like the services: thin states that call services as the
signed-in actor (`session` re-derives it on every event), inside the shared `layout`.

May use: components, services, `workflows/campaigns`, `workflows/schema` and the operations
views. Never the engine's internals, the queue or tables (import-linter contracts).
"""
