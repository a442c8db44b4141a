"""Demo data for `make run`: stores, one account per role, custom fields, members.

Built through the services, so demo data obeys the same rules as real data.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from sqlmodel import Session, col, select

from backoffice.models import Staff
from backoffice.services.members.forms import FieldInput, add_field
from backoffice.services.members.profiles import MemberInput, create_member
from backoffice.services.members.status import change_member_status
from backoffice.services.org.access import Actor
from backoffice.services.org.staff import StaffInput, bootstrap, create_staff
from backoffice.services.org.stores import StoreInput, create_store

DEMO_PASSWORD = "demo1234"
DEMO_LOGINS = [
    ("admin", "hq_admin", "总部管理员", ["HQ"], "HQ admin"),
    ("auditor", "hq_auditor", "总部审计", ["HQ"], "HQ auditor"),
    ("owner", "franchise_owner", "加盟商 陈老板", ["SH01", "BJ01"], "Franchise owner, SH01 + BJ01"),
    ("reception", "reception", "前台 小林", ["SH01"], "Reception, SH01"),
    ("reception_gz", "reception", "前台 小周", ["GZ01"], "Reception, GZ01"),
]
# More hands at the tills (same demo password; not advertised at start-up): each store's
# sales are spread over the staff who may check out there, as the staff report shows.
DEMO_CLERKS = [
    ("stylist_sh", "reception", "发型师 阿杰", ["SH01"]),
    ("reception_bj", "reception", "前台 小吴", ["BJ01"]),
    ("stylist_gz", "reception", "美甲师 小美", ["GZ01"]),
]
STORES = [
    ("SH01", "上海静安店", "上海市静安区南京西路 1266 号", "021-62881234"),
    ("BJ01", "北京朝阳店", "北京市朝阳区建国路 87 号", "010-65881234"),
    ("GZ01", "广州天河店", "广州市天河区天河路 208 号", "020-38881234"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯婷雪琳晨欣怡佳悦梓涵"
DEMO_FIELDS = [
    FieldInput(
        key="wechat",
        label="微信号 WeChat",
        type="text",
        help_text="会员的微信号",
        member_editable=True,
    ),
    FieldInput(
        key="skin_type",
        label="肤质 Skin type",
        type="choice",
        options=["干性", "油性", "混合", "敏感"],
        member_editable=True,
    ),
    FieldInput(
        key="interests",
        label="兴趣 Interests",
        type="multi_choice",
        options=["美发", "美甲", "护肤", "健身"],
        member_editable=True,
    ),
    FieldInput(key="marketing_ok", label="接受营销 Marketing OK", type="boolean"),
]


def seed_loyalty(session: Session, admin: Actor) -> None:
    """A programme a salon chain would run: four tiers, 1 point per ¥1, top-up bonuses,
    three coupon templates and a small redemption catalog."""
    from backoffice.services.loyalty.catalog import CatalogItemInput, create_item
    from backoffice.services.loyalty.coupons import CouponTemplateInput, create_template
    from backoffice.services.loyalty.earn_rules import EarnRuleInput, create_rule
    from backoffice.services.loyalty.tiers import TierInput, create_tier
    from backoffice.services.loyalty.topup_rules import TopupRuleInput, create_topup_rule

    for spec in [
        TierInput(code="BASIC", name="普通会员", rank=0, birthday_bonus_points=100),
        TierInput(
            code="SILVER",
            name="银卡",
            rank=1,
            threshold=200_000,
            retain_threshold=100_000,
            discount_bp=500,
            points_multiplier_pct=120,
            birthday_bonus_points=300,
            perks="生日月 95 折券",
        ),
        TierInput(
            code="GOLD",
            name="金卡",
            rank=2,
            threshold=500_000,
            retain_threshold=300_000,
            discount_bp=1000,
            points_multiplier_pct=150,
            birthday_bonus_points=800,
            perks="免费停车，专属顾问",
        ),
        TierInput(
            code="DIAMOND",
            name="钻石",
            rank=3,
            threshold=1_500_000,
            retain_threshold=1_000_000,
            discount_bp=1500,
            points_multiplier_pct=200,
            birthday_bonus_points=2000,
            perks="VIP 包间，优先预约",
        ),
    ]:
        create_tier(session, admin, spec)
    create_rule(
        session,
        admin,
        EarnRuleInput(name="消费 1 元得 1 分", kind="spend", points=1, per_cents=100),
    )
    create_rule(
        session,
        admin,
        EarnRuleInput(name="护肤类加倍", kind="category", points=1, per_cents=100, category="护肤"),
    )
    create_rule(session, admin, EarnRuleInput(name="注册送 200 分", kind="signup", points=200))
    create_rule(
        session, admin, EarnRuleInput(name="推荐好友送 500 分", kind="referral", points=500)
    )
    create_topup_rule(session, admin, TopupRuleInput(min_cents=100_000, bonus_cents=20_000))
    create_topup_rule(session, admin, TopupRuleInput(min_cents=200_000, bonus_cents=50_000))
    create_template(
        session,
        admin,
        CouponTemplateInput(
            name="满200减30", kind="amount_off", amount_off_cents=3_000, threshold_cents=20_000
        ),
    )
    create_template(
        session,
        admin,
        CouponTemplateInput(name="8折券", kind="percent_off", percent_off_bp=2_000, valid_days=14),
    )
    create_template(
        session,
        admin,
        CouponTemplateInput(
            name="生日赠送护理", kind="free_item", free_item="基础护理", valid_days=30
        ),
    )
    create_item(session, admin, CatalogItemInput(name="定制毛巾", points_price=800, stock=100))
    create_item(session, admin, CatalogItemInput(name="精华小样", points_price=1500, stock=50))
    create_item(session, admin, CatalogItemInput(name="护理体验券", points_price=3000, stock=20))


def seed_campaigns(session: Session, admin: Actor) -> None:
    """Three published campaigns a salon chain runs: birthday gift, tier-upgrade thanks and a
    win-back after 60 quiet days (their messages land in the outbox)."""
    from backoffice.models import CouponTemplate
    from backoffice.services.messaging.messages import TemplateInput, create_template
    from backoffice.workflows.campaigns.builder import auto_layout
    from backoffice.workflows.campaigns.lifecycle import (
        WorkflowInput,
        create_workflow,
        publish_workflow,
    )

    coupons = {t.name: t.id for t in session.exec(select(CouponTemplate)).all()}
    birthday = create_template(
        session,
        admin,
        TemplateInput(
            name="生日祝福",
            body="亲爱的{{member.name}}，生日快乐！{{store.name}}送您一份生日护理，"
            "券码 {{coupon.code}}，30 天内有效。",
        ),
    )
    upgrade = create_template(
        session,
        admin,
        TemplateInput(
            name="升级祝贺",
            body="恭喜{{member.name}}升级为{{tier.name}}！赠送 200 积分，当前积分 "
            "{{points.balance}}。",
            marketing=False,
        ),
    )
    winback = create_template(
        session,
        admin,
        TemplateInput(
            name="想念您",
            body="{{member.name}}，好久不见！送您一张8折券 {{coupon.code}}，"
            "期待您再次光临{{store.name}}。",
        ),
    )

    def n(node_id: str, node_type: str, x: int, **config: object) -> dict:
        return {"id": node_id, "type": node_type, "config": config, "position": {"x": x, "y": 80}}

    def e(a: str, b: str, handle: str = "out") -> dict:
        return {"id": f"{a}-{b}", "source": a, "source_handle": handle, "target": b}

    graphs = {
        "生日祝福送护理": {
            "nodes": [
                n("t", "trigger.birthday", 0, days_before=0),
                n("c", "action.issue_coupon", 260, template_id=coupons.get("生日赠送护理")),
                n("m", "action.send_message", 520, template_id=birthday.id),
            ],
            "edges": [e("t", "c"), e("c", "m")],
        },
        "升级祝贺": {
            "nodes": [
                n("t", "trigger.tier_changed", 0, direction="up"),
                n("m", "action.send_message", 260, template_id=upgrade.id),
                n("p", "action.grant_points", 520, points=200, note="升级礼"),
            ],
            "edges": [e("t", "m"), e("m", "p")],
        },
        "60 天沉睡唤醒": {
            "nodes": [
                n("t", "trigger.inactive", 0, days=60),
                n("c", "action.issue_coupon", 260, template_id=coupons.get("8折券")),
                n("m", "action.send_message", 520, template_id=winback.id),
            ],
            "edges": [e("t", "c"), e("c", "m")],
        },
    }
    for name, graph in graphs.items():
        workflow = create_workflow(
            session,
            admin,
            WorkflowInput(name=name, graph=auto_layout(graph), goal_kind="sale", goal_days=7),
        )
        publish_workflow(session, admin, workflow.id)


def is_seeded(session: Session) -> bool:
    return session.exec(select(Staff).limit(1)).first() is not None


def random_phone(rng: random.Random) -> str:
    prefix = rng.choice(["138", "139", "150", "151", "186", "187", "135", "136", "158", "177"])
    return prefix + "".join(str(rng.randint(0, 9)) for _ in range(8))


def random_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def seed_org(session: Session, password: str = DEMO_PASSWORD) -> dict[str, int]:
    """Stores, one account per role and the demo form; returns store ids by code."""
    admin = bootstrap(session, "admin", password)
    store_ids = {"HQ": admin.home_store_id or 0}
    for code, name, address, phone in STORES:
        store = create_store(
            session, admin, StoreInput(code=code, name=name, address=address, phone=phone)
        )
        store_ids[code] = store.id or 0
    for username, role, display, stores, _label in DEMO_LOGINS[1:]:
        _demo_account(
            session, admin, (username, role, display), [store_ids[c] for c in stores], password
        )
    for spec in DEMO_FIELDS:
        add_field(session, admin, spec)
    session.flush()
    return store_ids


def _demo_account(
    session: Session,
    admin: Actor,
    who: tuple[str, str, str],
    stores: list[int],
    password: str = DEMO_PASSWORD,
) -> None:
    """One staff account (username, role, display name) that signs straight in."""
    username, role, display = who
    staff = create_staff(
        session,
        admin,
        StaffInput(
            username=username,
            display_name=display,
            role_code=role,
            store_ids=stores,
            password=password,
        ),
    )
    staff.must_change_password = False  # demo accounts sign straight in
    session.add(staff)


def _store_tills(session: Session, store_ids: list[int]) -> dict[int, list[Actor]]:
    """Per store, the staff who may check out there (HQ admin not among them)."""
    from backoffice.services.org.access import load_actor

    tills: dict[int, list[Actor]] = {s: [] for s in store_ids}
    for staff in session.exec(
        select(Staff).where(Staff.username != "admin").order_by(col(Staff.id))
    ):
        actor = load_actor(session, staff)
        for store_id in store_ids:
            if actor.can("sales.create") and actor.store_ids and store_id in actor.store_ids:
                tills[store_id].append(actor)
    return tills


def _demo_history(
    session: Session,
    admin: Actor,
    rng: random.Random,
    member_id: int,
    store_id: int,
    index: int,
    tills: list[Actor],
) -> None:
    """A few top-ups, sales and a coupon, so balances and ledgers have something to show.

    Each sale is rung up by one of the store's staff. The clerk is drawn from a second
    generator and the portal's demo member (index 0) always gets three sales from a third,
    so every other member's data stays what it was."""
    from backoffice.services.loyalty.coupons import issue_coupon
    from backoffice.services.loyalty.sales import SaleInput, SaleItem, record_sale
    from backoffice.services.loyalty.wallet import top_up

    clerks = random.Random(index)
    if index % 4 == 0:
        top_up(
            session, admin, store_id, rng.choice([50_000, 100_000, 200_000]), member_id=member_id
        )
    count = rng.randint(0, 3)
    lines = rng
    if index == 0:
        count, lines = 3, random.Random(-1)
    for _ in range(count):
        record_sale(
            session,
            clerks.choice(tills) if tills else admin,
            SaleInput(
                member_id=member_id,
                store_id=store_id,
                items=[
                    SaleItem(
                        name=lines.choice(["洗剪吹", "烫发", "面部护理", "美甲"]),
                        category=lines.choice(["美发", "护肤", "美甲"]),
                        unit_cents=lines.choice([8_800, 19_800, 38_800, 68_800]),
                    )
                ],
            ),
        )
    if index % 3 == 0:
        issue_coupon(session, admin, 1, member_id)


def admin_actor(session: Session) -> Actor:
    from backoffice.services.org.access import load_actor

    return load_actor(session, session.exec(select(Staff).where(Staff.username == "admin")).one())


def seed_demo(
    session: Session, members: int = 120, progress: Callable[[int, int], None] | None = None
) -> Actor:
    """Fill an empty database with a small chain and its members."""
    store_ids = seed_org(session)
    admin = admin_actor(session)
    seed_loyalty(session, admin)
    seed_campaigns(session, admin)
    rng = random.Random(7)
    franchise = [store_ids[c] for c, *_ in STORES]
    for username, role, display, stores in DEMO_CLERKS:
        _demo_account(session, admin, (username, role, display), [store_ids[c] for c in stores])
    tills = _store_tills(session, franchise)
    used: set[str] = set()
    today = date.today()
    for i in range(members):
        phone = random_phone(rng)
        while phone in used:
            phone = random_phone(rng)
        used.add(phone)
        member = create_member(
            session,
            admin,
            MemberInput(
                name=random_name(rng),
                phone=phone,
                gender=rng.choice(["female", "female", "male", "unknown"]),
                birthday=(today - timedelta(days=rng.randint(18 * 365, 60 * 365))).isoformat(),
                home_store_id=franchise[i % 3],
                tags=rng.sample(["新客", "老客", "高消费", "学生", "企业客户"], rng.randint(0, 2)),
                custom={
                    "skin_type": rng.choice(["干性", "油性", "混合", "敏感", ""]),
                    "interests": rng.sample(["美发", "美甲", "护肤", "健身"], rng.randint(0, 2)),
                    "marketing_ok": rng.random() < 0.6,
                },
                joined_at=(today - timedelta(days=rng.randint(0, 700))).isoformat(),
            ),
            source="demo",
        )
        _demo_history(
            session, admin, rng, member.id or 0, franchise[i % 3], i, tills[franchise[i % 3]]
        )
        if i % 25 == 24:
            change_member_status(session, admin, member.id or 0, "freeze", "会员申请暂停")
        if progress:
            progress(i + 1, members)
    from backoffice.demo_history import spread_sales_history

    spread_sales_history(session)
    seed_member_portal(session)
    seed_visit_cards(session, admin)
    return admin


def seed_visit_cards(session: Session, admin: Actor) -> None:
    """Two card products, and the portal's demo member holding a 10-visit card with two
    visits used, so the member page, the portal and /settings/cards show something real."""
    from backoffice.models import Member
    from backoffice.services.loyalty.card_products import ProductInput, create_card_product
    from backoffice.services.loyalty.visit_cards import redeem_visit, sell_visit_card

    ten = create_card_product(
        session,
        admin,
        ProductInput("洗剪吹 10 次卡", 88_000, 365, visits=10, services=("洗剪吹",)),
    )
    create_card_product(session, admin, ProductInput("健身月卡", 30_000, 30))
    member = session.exec(select(Member).where(Member.member_no == DEMO_MEMBER_NO)).first()
    if member is None:
        return
    card = sell_visit_card(session, admin, member.home_store_id, ten.id or 0, member_id=member.id)
    for _ in range(2):
        redeem_visit(session, admin, member.home_store_id, card.id or 0, member_id=member.id)


DEMO_MEMBER_NO = "M00000001"


def seed_member_portal(session: Session) -> str:
    """The first demo member can sign in on the member portal (/m/login) with the demo
    password; returns their phone number (the launcher prints it)."""
    from backoffice.models import Member
    from backoffice.services.portal.accounts import set_portal_password

    member = session.exec(select(Member).where(Member.member_no == DEMO_MEMBER_NO)).first()
    if member is None:
        return ""
    set_portal_password(session, member.id or 0, DEMO_PASSWORD)
    return member.phone


def demo_member_phone(session: Session) -> str:
    from backoffice.models import Member

    member = session.exec(select(Member).where(Member.member_no == DEMO_MEMBER_NO)).first()
    return member.phone if member else ""
