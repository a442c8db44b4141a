"""The member portal: members' own accounts (sign-up, sign-in, reset, sessions) and what a
signed-in member sees and does (card, balances, redemptions, profile, consent, deletion).

May use: models and every other services room. Members act only on themselves.
"""
