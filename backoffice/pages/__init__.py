"""Reflex pages: thin states that call services as the signed-in actor."""
