"""Loyalty pages: the reception checkout and the loyalty settings."""
