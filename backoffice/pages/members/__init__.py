"""Member pages: the list, the member page (profile, loyalty panel, timeline), the form,
CSV import, bulk coupons, deletion requests and the form designer.

May use: `pages.session`, `pages.layout`, components and services (members, loyalty,
messaging, org, portal).
"""
