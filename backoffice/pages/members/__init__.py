"""Member pages: the list, the member page (profile, loyalty panel, timeline), the form,
CSV import, deletion requests and the form designer."""
