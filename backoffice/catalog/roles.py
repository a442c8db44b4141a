"""Strings of the roles page: one line per permission of services/org/access.py's catalog."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "nav.roles": ("角色权限", "Roles"),
    "roles.title": ("角色权限", "Roles and permissions"),
    "roles.help": (
        "勾选每个角色可以做的事，保存后该角色的员工下一次操作即生效。门店范围由员工所属门店决定。",
        "Tick what each role may do; staff in the role get it from their next click. Store scope comes from each person's stores.",
    ),
    "roles.permission": ("权限", "Permission"),
    "roles.saved": ("角色权限已保存", "Role saved"),
    # Each permission reads as what a person in the role can do, in one sentence.
    "perm.members.read": (
        "可以查看所管门店的会员资料。",
        "Can see the members of the stores in their scope.",
    ),
    "perm.members.write": (
        "可以新建会员并修改会员资料。",
        "Can create members and edit their details.",
    ),
    "perm.members.status": (
        "可以冻结、解冻、注销和恢复会员。",
        "Can freeze, unfreeze, cancel and restore members.",
    ),
    "perm.members.import": ("可以从 CSV 文件导入会员。", "Can import members from a CSV file."),
    "perm.members.export": ("可以把会员导出为 CSV 文件。", "Can export members to a CSV file."),
    "perm.pii.view": (
        "可以看到会员完整的手机号和邮箱。",
        "Can see members' full phone numbers and e-mail addresses.",
    ),
    "perm.forms.manage": (
        "可以设计会员资料表单（自定义字段）。",
        "Can design the member form (custom fields).",
    ),
    "perm.stores.read": ("可以查看门店列表。", "Can see the list of stores."),
    "perm.stores.manage": ("可以新建和修改门店。", "Can create and edit stores."),
    "perm.staff.read": ("可以查看员工账号和角色。", "Can see staff accounts and roles."),
    "perm.staff.manage": (
        "可以新建员工、分配角色和门店，并重置密码。",
        "Can create staff, assign roles and stores, and reset passwords.",
    ),
    "perm.audit.read": ("可以查看审计日志。", "Can read the audit log."),
    "perm.sales.read": (
        "可以查看所管门店会员的消费、积分和储值明细。",
        "Can see the sales, points and wallet history of members in scope.",
    ),
    "perm.sales.create": ("可以在所管门店收银。", "Can check out sales at the stores in scope."),
    "perm.sales.refund": ("可以为所管门店的消费退款。", "Can refund sales of the stores in scope."),
    "perm.points.redeem": ("可以为会员兑换积分商品。", "Can redeem catalog items for a member."),
    "perm.points.adjust": (
        "可以手动加减积分（须填写原因）。",
        "Can add or deduct points by hand, giving a reason.",
    ),
    "perm.wallet.topup": ("可以为会员储值充值。", "Can top up a member's stored value."),
    "perm.coupons.issue": ("可以给会员发放优惠券。", "Can issue coupons to members."),
    "perm.tiers.set": (
        "可以手动调整会员等级（须填写原因）。",
        "Can move a member to another tier by hand, giving a reason.",
    ),
    "perm.loyalty.read": (
        "可以查看会员权益设置（等级、规则、积分商品、优惠券模板）。",
        "Can see the loyalty settings (tiers, rules, catalog, coupon templates).",
    ),
    "perm.loyalty.manage": ("可以修改会员权益设置。", "Can change the loyalty settings."),
    "perm.workflows.read": (
        "可以查看营销流程、运行记录和消息模板。",
        "Can see campaigns, their runs and message templates.",
    ),
    "perm.workflows.design": (
        "可以为所管门店设计、测试、发布和暂停营销流程。",
        "Can design, test, publish and pause campaigns for the stores in scope.",
    ),
    "perm.workflows.operate": ("可以重试失败的流程步骤。", "Can retry failed campaign steps."),
    "perm.reports.read": (
        "可以查看所管门店的经营看板和分析（RFM、流失、门店、员工）。",
        "Can see dashboards and analyses (RFM, churn, stores, staff) for the stores in scope.",
    ),
    "perm.reports.export": (
        "可以把报表下载为 CSV 或 Excel 文件。",
        "Can download reports as CSV or Excel files.",
    ),
}
