"""The member portal's phone pages (/m/…): sign-up and sign-in (`sign_in`, with the member
session and the phone frame), then `home` (with the bottom navigation), `rewards` and `me`.

May use: components and services (portal, loyalty). Not `pages.session`: members are not
staff and have their own session.
"""
