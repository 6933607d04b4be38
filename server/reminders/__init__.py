"""Reminders (提醒): a supervisor's nudge to a grid's workers about a missing daily report
or a missed check, delivered to their phones and acknowledged there."""
