"""Operations: backup and restore of the database (and, later, what the operations page
needs that is not the engine's).

May use: models, db, `services.org` (the audit chain's verification)."""
