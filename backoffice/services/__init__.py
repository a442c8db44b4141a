"""The domain: every use case as a function taking an Actor and a session."""
