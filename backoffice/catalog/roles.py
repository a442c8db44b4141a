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
    "perm.members.read": ("查看范围内门店的会员", "See members of the stores in scope"),
    "perm.members.write": ("新建和编辑会员", "Create and edit members"),
    "perm.members.status": (
        "冻结、解冻、注销、恢复会员",
        "Freeze, unfreeze, cancel and restore members",
    ),
    "perm.members.import": ("导入会员", "Import members from CSV"),
    "perm.members.export": ("导出会员", "Export members to CSV"),
    "perm.pii.view": ("查看完整手机号和邮箱", "See full phone numbers and e-mail addresses"),
    "perm.forms.manage": ("设计会员表单", "Design the member form"),
    "perm.stores.read": ("查看门店", "See stores"),
    "perm.stores.manage": ("新建和编辑门店", "Create and edit stores"),
    "perm.staff.read": ("查看员工", "See staff accounts"),
    "perm.staff.manage": (
        "管理员工、角色和门店，重置密码",
        "Manage staff, roles and stores, reset passwords",
    ),
    "perm.audit.read": ("查看审计日志", "Read the audit log"),
    "perm.sales.read": ("查看消费和账户明细", "See sales and ledgers"),
    "perm.sales.create": ("收银", "Check out sales"),
    "perm.sales.refund": ("退款", "Refund sales"),
    "perm.points.redeem": ("积分兑换", "Redeem catalog items"),
    "perm.points.adjust": ("调整积分", "Adjust points by hand"),
    "perm.wallet.topup": ("储值充值", "Top up stored value"),
    "perm.coupons.issue": ("发放优惠券", "Issue coupons"),
    "perm.tiers.set": ("手动调整等级", "Move members between tiers"),
    "perm.loyalty.read": ("查看会员权益设置", "See the loyalty settings"),
    "perm.loyalty.manage": ("修改会员权益设置", "Change the loyalty settings"),
    "perm.workflows.read": ("查看营销流程", "See campaigns and their runs"),
    "perm.workflows.design": ("设计和发布营销流程", "Design and publish campaigns"),
    "perm.workflows.operate": ("重试失败的流程步骤", "Retry failed campaign steps"),
}
