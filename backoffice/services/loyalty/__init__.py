"""Loyalty and money: points (a ledger of expiring lots), tiers, stored value, coupons, sales
and refunds, earn and top-up rules, the policy, the redemption catalog and the nightly run.

May use: models, `services.org` (access, audit), `services.members`, `services.reports`
(the daily tables written in the same transaction), `services.events`. Never workflows.
"""
