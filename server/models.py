"""Imports every table so Base.metadata is complete (Alembic and tests read it)."""

from server.accounts.models import Device, SignInFailure, User, WebSession
from server.alerts.models import Alert
from server.areas.models import Area, Facility
from server.areas.tallies import AreaTally
from server.audit.models import AuditEntry
from server.db import Base
from server.fever.models import FeverEvent, FeverReport
from server.people.models import Household, Person, RiskArea
from server.quarantine.models import Check, Measure, Policy, Test
from server.reminders.models import Reminder
from server.reports.models import DailyReport
from server.sync.models import Conflict, SyncMutation, SyncRemoval, SyncState
from server.visits.coverage import CampaignCoverage
from server.visits.models import Campaign, Visit

__all__ = [
    "Alert",
    "Area",
    "AreaTally",
    "AuditEntry",
    "Base",
    "Campaign",
    "CampaignCoverage",
    "Check",
    "Conflict",
    "DailyReport",
    "Device",
    "Facility",
    "FeverEvent",
    "FeverReport",
    "Household",
    "Measure",
    "Person",
    "Policy",
    "Reminder",
    "RiskArea",
    "SignInFailure",
    "SyncMutation",
    "SyncRemoval",
    "SyncState",
    "Test",
    "User",
    "Visit",
    "WebSession",
]
