"""Strings of the REST API, API keys and outgoing webhooks."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # ---- errors ----
    "error.api_key_permission_wider": (
        "密钥的权限不能超出您自己的权限",
        "A key cannot hold a permission you do not have",
    ),
    "error.api_key_scope_wider": (
        "密钥的门店范围不能超出您自己的门店范围",
        "A key cannot reach stores outside your own scope",
    ),
    "error.api_key_invalid": (
        "缺少 API 密钥，或密钥无效、已吊销",
        "Missing, unknown or revoked API key",
    ),
    "error.rate_limited": ("请求过于频繁，请稍后再试", "Too many requests: retry later"),
    "error.idempotency_mismatch": (
        "该 Idempotency-Key 已用于另一个请求",
        "This Idempotency-Key was used for a different request",
    ),
    "error.idempotency_in_progress": (
        "相同 Idempotency-Key 的请求仍在处理中",
        "A request with this Idempotency-Key is still being processed",
    ),
    "error.idempotency_key": (
        "Idempotency-Key 长度应为 1 到 100 个字符",
        "Idempotency-Key must be 1 to 100 characters",
    ),
    "error.out_of_range": ("数值超出允许范围", "Value out of range"),
    "error.invalid_value": ("格式不正确", "Not a valid value"),
    "error.invalid_json": ("请求体不是有效的 JSON", "The request body is not valid JSON"),
    "error.integer": (
        "应为整数（JSON 数字，不带引号和小数）",
        "Must be a whole number (a JSON integer, not a string or a decimal)",
    ),
    "error.invalid_request": ("请求无效", "Invalid request"),
    "error.method_not_allowed": ("不支持该请求方法", "Method not allowed"),
    "error.internal": ("服务器内部错误，已记录", "Internal error; it has been logged"),
    "error.webhook_url": (
        "请填写以 http:// 或 https:// 开头的网址",
        "Enter a URL starting with http:// or https://",
    ),
    "error.webhook_disabled": (
        "该订阅已停用，请先启用",
        "The subscription is switched off: switch it on first",
    ),
    # ---- roles and permissions ----
    "role.api_key": ("API 密钥", "API key"),
    "perm.api_keys.manage": (
        "可以创建和吊销 API 密钥（权限不超过本人）。",
        "Can create and revoke API keys (no wider than their own rights).",
    ),
    "perm.webhooks.manage": (
        "可以管理 Webhook 订阅并重新投递。",
        "Can manage webhook subscriptions and redeliver webhooks.",
    ),
    # ---- API keys page ----
    "nav.api_keys": ("API 密钥", "API keys"),
    "api_keys.title": ("API 密钥", "API keys"),
    "api_keys.help": (
        "POS、小程序或网站用密钥调用 /api/v1。密钥的权限和门店不能超出您自己的；密钥只显示一次。",
        "POS systems, mini-programs and websites call /api/v1 with a key. A key's permissions and stores stay within yours; the key is shown once.",
    ),
    "api_keys.docs": ("接口文档", "API documentation"),
    "api_keys.new": ("新建密钥", "New key"),
    "api_keys.name": ("名称", "Name"),
    "api_keys.prefix": ("前缀", "Prefix"),
    "api_keys.permissions": ("权限", "Permissions"),
    "api_keys.stores": ("门店", "Stores"),
    "api_keys.all_stores": ("全部门店", "All stores"),
    "api_keys.rate": ("每分钟请求上限（0 = 默认）", "Requests per minute (0 = default)"),
    "api_keys.created": ("创建时间", "Created"),
    "api_keys.last_used": ("最近使用", "Last used"),
    "api_keys.status": ("状态", "Status"),
    "api_keys.revoked": ("已吊销", "Revoked"),
    "api_keys.revoke": ("吊销", "Revoke"),
    "api_keys.revoked_toast": ("密钥已吊销", "Key revoked"),
    "api_keys.shown_once": (
        "请立即复制并妥善保存此密钥，关闭后将无法再次查看：",
        "Copy this key now and keep it safe; it will not be shown again:",
    ),
    "api_keys.done": ("我已保存", "I have saved it"),
    # ---- webhooks page ----
    "nav.webhooks": ("Webhook", "Webhooks"),
    "webhooks.title": ("Webhook 订阅", "Webhook subscriptions"),
    "webhooks.help": (
        "发生所选事件时，系统向网址 POST JSON，并带有 X-Signature（HMAC-SHA256，对“时间戳.正文”签名）和 X-Timestamp 头。失败会按退避重试，连续多次失败后自动停用。",
        "When a chosen event happens, the system POSTs JSON to the URL with X-Signature (HMAC-SHA256 of “timestamp.body”) and X-Timestamp headers. Failures are retried with backoff; after repeated failures the subscription switches itself off.",
    ),
    "webhooks.new": ("新建订阅", "New subscription"),
    "webhooks.name": ("名称", "Name"),
    "webhooks.url": ("网址", "URL"),
    "webhooks.events": ("事件", "Events"),
    "webhooks.store": ("门店", "Store"),
    "webhooks.org": ("整个组织", "Whole organisation"),
    "webhooks.failures": ("连续失败", "Failures in a row"),
    "webhooks.secret_once": (
        "签名密钥（请保存到接收方用于验签）：",
        "Signing secret (store it at the receiver to verify signatures):",
    ),
    "webhooks.deliveries": ("投递记录", "Deliveries"),
    "webhooks.event": ("事件", "Event"),
    "webhooks.attempts": ("尝试次数", "Attempts"),
    "webhooks.response": ("响应码", "Response"),
    "webhooks.error": ("错误", "Error"),
    "webhooks.redeliver": ("重新投递", "Redeliver"),
    "webhooks.redelivered": ("已重新排队投递", "Queued for delivery again"),
    "webhooks.saved": ("订阅已保存", "Subscription saved"),
    "webhooks.enable": ("启用", "Switch on"),
    "webhooks.disable": ("停用", "Switch off"),
    "webhooks.status.pending": ("待发送", "Pending"),
    "webhooks.status.delivered": ("已送达", "Delivered"),
    "webhooks.status.retrying": ("重试中", "Retrying"),
    "webhooks.status.failed": ("失败", "Failed"),
}
