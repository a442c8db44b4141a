"""SQLModel tables, one module per domain. Importing this package registers every table."""

from backoffice.models.audit import AuditEntry, AuditHead
from backoffice.models.events import DomainEvent
from backoffice.models.forms import FieldType, FormField
from backoffice.models.members import Member, MemberStatus, MemberTag
from backoffice.models.staff import Role, Staff, StaffSession, StaffStore
from backoffice.models.stores import Store

__all__ = [
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
