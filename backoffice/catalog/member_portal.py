"""Strings of the member portal (/m/…), staff two-factor sign-in and deletion requests."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # errors
    "error.privacy_consent_required": (
        "请阅读并勾选同意隐私政策后再注册",
        "Please read and tick your agreement to the privacy policy to sign up",
    ),
    "error.portal_registered": (
        "该手机号已注册，请直接登录",
        "This number already has an account: please sign in",
    ),
    "error.portal_claim": (
        "该手机号已是门店会员：请用“忘记密码”获取验证码来设置密码",
        "This number is already a member: use “Forgot password” to get a code and set a password",
    ),
    "error.signup_closed": ("暂时无法注册，请联系门店", "Sign-up is not available; ask a store"),
    "error.portal_bad_credentials": ("手机号或密码错误", "Wrong phone number or password"),
    "error.reset_code_expired": (
        "验证码已过期或已失效，请重新获取",
        "The code has expired or was used up: request a new one",
    ),
    "error.reset_code_wrong": ("验证码不正确", "The code is not right"),
    "error.reset_code_tries": (
        "验证码错误次数过多，请重新获取",
        "Too many wrong codes: request a new one",
    ),
    "error.portal_member_frozen": (
        "会员卡已冻结，暂不能兑换",
        "The membership is frozen: redeeming is paused",
    ),
    "error.field_not_editable": ("该项不能自行修改", "You cannot change this field yourself"),
    "error.deletion_pending": (
        "您已提交过注销申请，正在处理中",
        "Your deletion request is already being processed",
    ),
    "error.two_factor_already": (
        "已开启两步验证",
        "Two-factor sign-in is already on",
    ),
    "error.two_factor_code": ("验证码不正确", "The code is not right"),
    "error.two_factor_off": ("尚未开启两步验证", "Two-factor sign-in is not on"),
    "error.two_factor_required": (
        "您的角色要求两步验证，不能关闭",
        "Your role requires two-factor sign-in; it cannot be switched off",
    ),
    "error.two_factor_expired": (
        "登录已超时，请重新输入密码",
        "The sign-in timed out: enter your password again",
    ),
    # member portal
    "portal.name": ("会员中心", "Member centre"),
    "portal.counter_code": ("验证码", "Code"),
    "portal.tagline": (
        "积分、储值、优惠券，一手掌握",
        "Points, balance and coupons in your pocket",
    ),
    "portal.login_title": ("会员登录", "Member sign-in"),
    "portal.phone": ("手机号", "Phone number"),
    "portal.password": ("密码", "Password"),
    "portal.remember": ("记住我（30 天）", "Remember me (30 days)"),
    "portal.sign_in": ("登录", "Sign in"),
    "portal.no_account": ("还没有账号？立即注册", "No account yet? Sign up"),
    "portal.forgot": ("忘记密码 / 门店会员首次登录", "Forgot password / first sign-in"),
    "portal.signup_title": ("注册会员", "Become a member"),
    "portal.your_name": ("姓名", "Name"),
    "portal.password_hint": (
        "至少 8 位，包含字母和数字",
        "At least 8 characters with letters and digits",
    ),
    "portal.referral": ("推荐码（选填）", "Referral code (optional)"),
    "portal.referral_hint": (
        "推荐人的会员卡号或手机号",
        "Your referrer's member number or phone number",
    ),
    "portal.consent": ("我已阅读并同意", "I have read and agree to the"),
    "portal.privacy_policy": ("隐私政策", "privacy policy"),
    "portal.sign_up": ("注册", "Sign up"),
    "portal.have_account": ("已有账号？去登录", "Have an account? Sign in"),
    "portal.privacy_title": ("隐私政策", "Privacy policy"),
    "portal.privacy_body": (
        "我们收集您的手机号、姓名和消费记录，仅用于会员积分、储值、优惠券和服务通知。"
        "营销消息可随时在“我的”页面按渠道关闭。您可以随时申请注销账户，门店核实后删除。"
        "我们不会向第三方出售您的个人信息。",
        "We keep your phone number, name and purchases only to run your points, balance, "
        "coupons and service notices. You can switch marketing messages off per channel at "
        "any time on the Me page, and ask for your account to be deleted. We never sell your "
        "personal data.",
    ),
    "portal.back": ("返回", "Back"),
    "portal.reset_title": ("重置密码", "Reset your password"),
    "portal.reset_help": (
        "输入会员手机号，我们会发送 6 位验证码（10 分钟内有效）。",
        "Enter your member phone number; we send a 6-digit code (valid for 10 minutes).",
    ),
    "portal.send_code": ("发送验证码", "Send code"),
    "portal.code_sent": (
        "如果该手机号是会员，验证码已发送。",
        "If this number is a member, a code is on its way.",
    ),
    "portal.code": ("验证码", "Code"),
    "portal.new_password": ("新密码", "New password"),
    "portal.set_password": ("设置新密码", "Set new password"),
    "portal.password_reset_done": ("密码已设置，请登录", "Password set: please sign in"),
    "portal.reset_sms": (
        "您的会员验证码 {code}，{minutes} 分钟内有效。如非本人操作请忽略。",
        "Your member code is {code}, valid for {minutes} minutes. Ignore this if it was not you.",
    ),
    "portal.tab_home": ("首页", "Home"),
    "portal.tab_rewards": ("积分兑换", "Rewards"),
    "portal.tab_me": ("我的", "Me"),
    "portal.sign_out": ("退出登录", "Sign out"),
    "portal.card": ("会员卡", "Member card"),
    "portal.card_hint": ("到店出示二维码即可识别会员", "Show this code at the counter"),
    "portal.points": ("积分", "Points"),
    "portal.wallet": ("储值余额", "Balance"),
    "portal.tier": ("会员等级", "Tier"),
    "portal.points_ledger": ("积分明细", "Points history"),
    "portal.wallet_ledger": ("储值明细", "Balance history"),
    "portal.coupons": ("优惠券", "Coupons"),
    "portal.purchases": ("消费记录", "Purchases"),
    "portal.nothing_yet": ("暂无记录", "Nothing yet"),
    "portal.valid_to": ("有效期至 {when}", "Valid until {when}"),
    "portal.redeem": ("兑换", "Redeem"),
    "portal.redeemed": ("兑换成功：{item}", "Redeemed: {item}"),
    "portal.redeem_confirm": (
        "用 {points} 积分兑换「{item}」？",
        "Redeem “{item}” for {points} points?",
    ),
    "portal.redeem_yes": ("确认兑换", "Redeem"),
    "portal.stock": ("库存 {stock}", "{stock} left"),
    "portal.rewards_help": (
        "用积分兑换礼品，兑换后到会员所属门店领取。",
        "Use your points for a gift, then collect it at your home store.",
    ),
    "portal.profile": ("个人资料", "My details"),
    "portal.profile_none": ("暂无可自行修改的资料", "There is nothing you can change here yet"),
    "portal.save": ("保存", "Save"),
    "portal.saved": ("已保存", "Saved"),
    "portal.choose": ("请选择", "Choose"),
    "portal.marketing": ("营销消息", "Marketing messages"),
    "portal.marketing_help": (
        "服务通知（如验证码）不受影响",
        "Service notices such as sign-in codes are not affected",
    ),
    "portal.channel.sms": ("短信", "Text messages"),
    "portal.channel.email": ("电子邮件", "E-mail"),
    "portal.delete_account": ("注销账户", "Delete my account"),
    "portal.delete_help": (
        "提交后门店会核实并注销您的会员账户，积分和储值余额将失效。",
        "The store checks and then closes your membership; points and balance lapse.",
    ),
    "portal.delete_reason": ("原因（选填）", "Reason (optional)"),
    "portal.delete_submit": ("申请注销", "Ask to delete"),
    "portal.delete_pending": (
        "注销申请已提交（{when}），正在处理",
        "Deletion requested ({when}); being processed",
    ),
    "portal.delete_sent": ("注销申请已提交", "Deletion request sent"),
    # staff: deletion requests
    "nav.deletion_requests": ("注销申请", "Deletion requests"),
    "deletion.title": ("会员注销申请", "Member deletion requests"),
    "deletion.help": (
        "会员在会员中心提交的注销申请。处理即按注销流程注销该会员并结束其登录。",
        "Requests members sent from the member centre. Processing cancels the member with the "
        "usual cancel flow and ends their sign-ins.",
    ),
    "deletion.member": ("会员", "Member"),
    "deletion.store": ("门店", "Store"),
    "deletion.reason": ("原因", "Reason"),
    "deletion.requested_at": ("申请时间", "Requested"),
    "deletion.process": ("注销该会员", "Cancel the member"),
    "deletion.processed": ("已注销", "Member cancelled"),
    "deletion.none": ("没有待处理的申请", "No open requests"),
    # staff: two-factor sign-in
    "twofa.title": ("两步验证", "Two-factor sign-in"),
    "twofa.help": (
        "登录时除密码外，还需输入身份验证器 App（如 Google Authenticator、Microsoft "
        "Authenticator）生成的 6 位验证码。",
        "Besides your password, sign-in asks for the 6-digit code of an authenticator app "
        "(Google Authenticator, Microsoft Authenticator, …).",
    ),
    "twofa.on": ("已开启", "On"),
    "twofa.off": ("未开启", "Off"),
    "twofa.required": ("您的角色要求两步验证", "Your role requires two-factor sign-in"),
    "twofa.recovery_left": ("剩余恢复码 {count} 个", "{count} recovery codes left"),
    "twofa.enable": ("开启两步验证", "Turn on"),
    "twofa.scan": (
        "用身份验证器 App 扫描二维码，或手动输入密钥：",
        "Scan the QR code with your authenticator app, or type the key:",
    ),
    "twofa.code": ("6 位验证码", "6-digit code"),
    "twofa.confirm": ("确认开启", "Confirm"),
    "twofa.enabled": ("两步验证已开启", "Two-factor sign-in is on"),
    "twofa.recovery_title": ("恢复码（只显示这一次）", "Recovery codes (shown only this once)"),
    "twofa.recovery_help": (
        "手机丢失时，每个恢复码可代替验证码登录一次。请抄写或打印后妥善保存。",
        "If you lose your phone, each code signs you in once instead of an app code. Write "
        "them down or print them and keep them safe.",
    ),
    "twofa.recovery_done": ("我已保存，继续", "I have saved them, continue"),
    "twofa.disable": ("关闭两步验证", "Turn off"),
    "twofa.disable_help": (
        "输入当前验证码或一个恢复码以关闭。",
        "Enter a current code or a recovery code to turn it off.",
    ),
    "twofa.disabled": ("两步验证已关闭", "Two-factor sign-in is off"),
    "twofa.login_title": ("输入验证码", "Enter your code"),
    "twofa.login_help": (
        "打开身份验证器 App，输入 6 位验证码；也可以输入一个恢复码。",
        "Open your authenticator app and enter the 6-digit code, or enter a recovery code.",
    ),
    "twofa.code_or_recovery": ("验证码或恢复码", "Code or recovery code"),
    "twofa.verify": ("验证", "Verify"),
    "twofa.enrol_title": ("设置两步验证", "Set up two-factor sign-in"),
    "twofa.enrol_help": (
        "您的角色要求两步验证。请先完成设置再继续。",
        "Your role requires two-factor sign-in. Set it up to continue.",
    ),
    "twofa.start_over": ("重新登录", "Start over"),
    "twofa.role_row": ("要求两步验证登录", "Require two-factor sign-in"),
    "twofa.role_saved": ("已更新两步验证要求", "Two-factor requirement updated"),
}
