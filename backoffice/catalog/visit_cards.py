"""Visit cards (次卡): products, selling, redeeming, refunding; their errors and events."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "error.card_not_found": ("该会员没有这张卡", "This member holds no such card"),
    "error.card_expired": ("这张卡已过期", "This card has expired"),
    "error.card_used_up": ("这张卡的次数已用完", "This card has no visits left"),
    "error.card_refunded": ("这张卡已退卡", "This card was refunded"),
    "error.card_store": ("这张卡不能在本店使用", "This card cannot be used at this store"),
    "error.card_service": ("这张卡不包含该服务项目", "This card does not cover that service"),
    "error.card_valid_days": ("有效天数应为 1 至 3650", "Valid days must be 1 to 3650"),
    "error.card_visits": ("次数应为 1 至 1000，或不限次", "Visits must be 1 to 1000, or unlimited"),
    "error.card_services": (
        "服务项目不能为空，每项最多 60 字",
        "Each service needs a name of at most 60 characters",
    ),
    "error.card_product_duplicate": ("已有同名次卡", "A card with this name already exists"),
    "node.card_low": ("次卡次数快用完", "Visit card running low"),
    "node.card_low.help": (
        "会员的次卡只剩最后几次时开始（阈值在积分规则设置中）",
        "Starts when a member's visit card is down to its last visits (threshold in the loyalty settings)",
    ),
    "node.card_expiring": ("次卡即将到期", "Visit card expiring"),
    "node.card_expiring.help": (
        "次卡到期前 N 天开始（天数在积分规则设置中），每张卡一次",
        "Starts N days before a visit card expires (days in the loyalty settings), once per card",
    ),
    "event.card.sold": ("售出次卡", "Visit card sold"),
    "event.card.redeemed": ("次卡核销", "Visit card visit redeemed"),
    "event.card.low_remaining": ("次卡剩余次数不多", "Visit card running low"),
    "event.card.expiring": ("次卡即将到期", "Visit card expiring"),
    "event.card.expired": ("次卡已过期", "Visit card expired"),
}
