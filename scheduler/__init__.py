"""The clock (Asia/Bangkok, Buddhist Era, fiscal year) and the deadline-reminder policy.

Also the scheduler process that sends due reminders exactly once.
"""
