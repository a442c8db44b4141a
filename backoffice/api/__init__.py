"""The REST API (/api/v1): another client of the services, acting as API keys.

May use: services, `workflows.campaigns` and `workflows.operations`; never the engine's
internals, the queue or tables (import-linter contracts)."""

from backoffice.api.app import create_app

__all__ = ["create_app"]
