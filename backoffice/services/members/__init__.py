"""Members: profiles on the form HQ designs (`profiles`), finding them (`search`), their
`status` and `timeline`, custom fields and their index, CSV import and export, and finding
the member at the counter.

May use: models, `services.org` (access, audit), `services.events`; reads loyalty balances
through `services.loyalty` for the timeline. Never workflows, pages or the API.
"""
