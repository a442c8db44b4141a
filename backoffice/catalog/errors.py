"""Messages of the errors services raise: key → (Simplified Chinese, English)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # ---- errors raised by services ----
    "error.required": ("必填", "Required"),
    "error.too_long": ("内容过长", "Too long"),
    "error.phone_invalid": ("手机号码无效", "Not a valid phone number"),
    "error.phone_duplicate": (
        "该手机号已注册为会员（其他门店）",
        "This phone number already belongs to a member (another store)",
    ),
    "error.phone_duplicate_of": (
        "该手机号已被其他会员使用",
        "This phone number already belongs to another member",
    ),
    "error.phone_taken": (
        "该手机号已被其他员工使用",
        "This phone number is used by another staff account",
    ),
    "error.date": ("日期格式应为 YYYY-MM-DD", "Dates are written YYYY-MM-DD"),
    "error.birthday_range": ("生日不在合理范围内", "Birthday is out of range"),
    "error.email": ("邮箱地址无效", "Not a valid e-mail address"),
    "error.choice": ("不是可选的值", "Not one of the allowed values"),
    "error.number": ("应为数字", "Must be a number"),
    "error.boolean": ("应为 是/否", "Must be yes or no"),
    "error.member_no": (
        "会员号只能包含字母和数字，最多 20 位",
        "Member numbers are up to 20 letters and digits",
    ),
    "error.member_no_taken": ("会员号已存在", "This member number is already used"),
    "error.member_no_fixed": ("会员号不能修改", "The member number cannot be changed"),
    "error.member_cancelled": (
        "会员已注销，请先恢复",
        "The member is cancelled; restore them first",
    ),
    "error.member_not_found": ("找不到该会员", "Member not found"),
    "error.status_transition": (
        "当前状态下不能执行此操作",
        "Not possible in the member's current status",
    ),
    "error.reason_required": ("请填写原因", "Please give a reason"),
    "error.store_unknown": ("门店不存在或已停用", "Unknown or inactive store"),
    "error.store_code": (
        "门店编码只能包含字母、数字、- 和 _",
        "Store codes use letters, digits, - and _",
    ),
    "error.store_code_taken": ("门店编码已存在", "This store code is already used"),
    "error.timezone": ("未知时区", "Unknown time zone"),
    "error.field_key": (
        "字段标识须以小写字母开头，只含小写字母、数字和下划线",
        "Keys start with a lower-case letter and use a-z, 0-9 and _",
    ),
    "error.field_key_taken": ("字段标识已存在", "This key is already used"),
    "error.field_type": ("未知字段类型", "Unknown field type"),
    "error.field_type_locked": (
        "字段类型创建后不能修改",
        "A field's type cannot change after it is created",
    ),
    "error.field_unknown": ("未知字段", "Unknown field"),
    "error.options_required": ("请至少填写一个选项", "Give at least one option"),
    "error.options_duplicate": ("选项不能重复", "Options must be different"),
    "error.not_found": ("找不到记录", "Not found"),
    "error.signed_out": ("请先登录", "Please sign in"),
    "error.permission": ("没有权限（{permission}）", "Not allowed ({permission})"),
    "error.store_scope": ("该门店不在您的权限范围内", "That store is outside your scope"),
    "error.no_role": ("账号没有角色", "The account has no role"),
    "error.bad_credentials": ("账号或密码错误", "Wrong username or password"),
    "error.locked": (
        "密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试",
        "Too many wrong passwords: the account is locked, try again in {minutes} minutes",
    ),
    "error.password_short": ("密码至少 8 位", "Passwords have at least 8 characters"),
    "error.password_weak": ("密码须同时包含字母和数字", "Passwords need both letters and digits"),
    "error.password_same": (
        "新密码不能与当前密码相同",
        "The new password must differ from the current one",
    ),
    "error.password_mismatch": ("两次输入的密码不一致", "The passwords do not match"),
    "error.current_password": ("当前密码不正确", "The current password is wrong"),
    "error.username_format": (
        "用户名只能包含字母、数字、. _ -",
        "Usernames use letters, digits, . _ -",
    ),
    "error.username_taken": ("用户名已存在", "This username is taken"),
    "error.role_unknown": ("未知角色", "Unknown role"),
    "error.stores_required": ("请至少选择一个门店", "Choose at least one store"),
    "error.locale": ("不支持的语言", "Unsupported language"),
    "error.self_lockout": (
        "不能停用自己或修改自己的角色",
        "You cannot deactivate yourself or change your own role",
    ),
    "error.csv_header": (
        "CSV 缺少必需的列：{columns}",
        "The CSV lacks required columns: {columns}",
    ),
    "error.csv_encoding": (
        "无法读取文件，请保存为 UTF-8 编码的 CSV",
        "Cannot read the file: save it as UTF-8 CSV",
    ),
    "error.csv_empty": ("文件中没有数据行", "The file has no data rows"),
    "error.csv_too_big": (
        "文件过大（最多 {rows} 行）",
        "The file is too large (at most {rows} rows)",
    ),
    "error.duplicate_in_file": ("文件中重复（第 {row} 行）", "Duplicate in the file (row {row})"),
    "error.import_has_errors": (
        "文件有错误，未导入任何数据",
        "The file has errors; nothing was imported",
    ),
    "error.already_bootstrapped": ("系统已初始化", "The system is already set up"),
    "error.unexpected": ("出现意外错误，请稍后再试", "Something went wrong; please try again"),
}
