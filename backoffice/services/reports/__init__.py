"""Reports: the dashboard (range figures) and its `snapshots` (what is true now), the exact
daily tables and their rebuild, exports, RFM, churn, store and staff comparison, goal
attribution.

May use: models, `services.org`, `services.spreadsheet_cells`. The daily tables are written
by the loyalty, members and messaging write paths through `daily_stats`, inside their
transactions.
"""
