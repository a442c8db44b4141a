"""SQLModel tables, one module per domain. Importing this package registers every table.

May use: nothing of ours above it (no db, services or settings): tables only.
"""

from backoffice.models.api import (
    ApiKey,
    DeliveryStatus,
    IdempotencyRecord,
    WebhookDelivery,
    WebhookSubscription,
)
from backoffice.models.audit import AuditEntry, AuditHead
from backoffice.models.coupons import Coupon, CouponKind, CouponStatus, CouponTemplate
from backoffice.models.events import DomainEvent
from backoffice.models.forms import FieldType, FormField
from backoffice.models.loyalty import (
    CatalogItem,
    EarnRule,
    EarnRuleKind,
    LoyaltySettings,
    PointsAccount,
    PointsEntry,
    PointsKind,
    Redemption,
    Tier,
    TierMetric,
)
from backoffice.models.member_portal import (
    DeletionRequest,
    DeletionStatus,
    MemberCredential,
    MemberSession,
    PasswordResetCode,
    PrivacyConsent,
)
from backoffice.models.members import Member, MemberStatus, MemberTag
from backoffice.models.messages import (
    Channel,
    MemberConsent,
    MessageStatus,
    MessageTemplate,
    OutboxMessage,
)
from backoffice.models.operations import OperationsAlert
from backoffice.models.reports import DailyStaffStats, DailyStoreStats, MemberSalesSummary
from backoffice.models.sales import Sale, SaleRefund, SaleStatus
from backoffice.models.sign_in import SignInAttempt
from backoffice.models.staff import Role, Staff, StaffSession, StaffStore
from backoffice.models.stores import Store
from backoffice.models.two_factor import SignInChallenge, StaffRecoveryCode, StaffTotp
from backoffice.models.visit_cards import (
    CardEntryKind,
    CardProduct,
    CardStatus,
    VisitCard,
    VisitCardEntry,
)
from backoffice.models.wallet import TopupRule, WalletAccount, WalletEntry, WalletKind
from backoffice.models.workflows import (
    RunStatus,
    SchedulerState,
    Segment,
    StaffTask,
    StepExecution,
    StepStatus,
    Workflow,
    WorkflowRun,
    WorkflowStatus,
    WorkflowVersion,
)

__all__ = [
    "CardEntryKind",
    "CardProduct",
    "CardStatus",
    "VisitCard",
    "VisitCardEntry",
    "OperationsAlert",
    "DeletionRequest",
    "DeletionStatus",
    "MemberCredential",
    "SignInAttempt",
    "MemberSession",
    "PasswordResetCode",
    "PrivacyConsent",
    "SignInChallenge",
    "StaffRecoveryCode",
    "StaffTotp",
    "DailyStaffStats",
    "DailyStoreStats",
    "MemberSalesSummary",
    "ApiKey",
    "DeliveryStatus",
    "IdempotencyRecord",
    "WebhookDelivery",
    "WebhookSubscription",
    "Channel",
    "MemberConsent",
    "MessageStatus",
    "MessageTemplate",
    "OutboxMessage",
    "RunStatus",
    "SchedulerState",
    "Segment",
    "StaffTask",
    "StepExecution",
    "StepStatus",
    "Workflow",
    "WorkflowRun",
    "WorkflowStatus",
    "WorkflowVersion",
    "CatalogItem",
    "Coupon",
    "CouponKind",
    "CouponStatus",
    "CouponTemplate",
    "EarnRule",
    "EarnRuleKind",
    "LoyaltySettings",
    "PointsAccount",
    "PointsEntry",
    "PointsKind",
    "Redemption",
    "Sale",
    "SaleRefund",
    "SaleStatus",
    "Tier",
    "TierMetric",
    "TopupRule",
    "WalletAccount",
    "WalletEntry",
    "WalletKind",
    "AuditEntry",
    "AuditHead",
    "DomainEvent",
    "FieldType",
    "FormField",
    "Member",
    "MemberStatus",
    "MemberTag",
    "Role",
    "Staff",
    "StaffSession",
    "StaffStore",
    "Store",
]
