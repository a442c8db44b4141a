"""Members: profiles on the form HQ designs (`profiles`, `forms`), finding them (`search`),
their `status` and `timeline`, custom fields and their index, CSV import and export, and
finding the member at the counter (`counter`).

May use: models, `services.org` (access, audit), `services.events`, `services.phones`,
`services.reports` (new members in the daily tables, same transaction) and
`services.spreadsheet_cells`. Never loyalty, workflows, pages or the API.
"""
