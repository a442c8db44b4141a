"""The member portal's phone pages (/m/…): sign-up and sign-in, then home, rewards and
profile."""
