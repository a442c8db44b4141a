"""The REST API (/api/v1): another client of the services, acting as API keys."""

from backoffice.api.app import create_app

__all__ = ["create_app"]
