"""Report pages: the dashboard and the analysis pages (store and staff tables, RFM, churn),
with their shared filter bar and exports (`filters`).

May use: `pages.session`, `pages.layout`, components, `services.reports` and `services.org`,
and `workflows.campaigns` (a win-back campaign from a report).
"""
