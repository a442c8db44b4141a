"""Messaging: templates, the outbox and its delivery, consent, quiet hours, the frequency
cap and banned words; outgoing webhooks (subscriptions, deliveries, their RQ jobs).

May use: models, `services.org`, `services.loyalty` (balances for message variables),
`services.reports` (message counts). Never workflows: the engine calls in, not out.
"""
