"""Membership back-office for chains of shops."""
