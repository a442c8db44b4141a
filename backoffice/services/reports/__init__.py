"""Reports: the dashboard, the exact daily tables and their rebuild, exports, RFM, churn,
store and staff comparison.

May use: models, `services.org`. The daily tables are written by the loyalty, members and
messaging write paths through `daily_stats`, inside their transactions.
"""
