"""Learner styles: one adapter module per way of writing a component that the checker drives.

Each module turns a learner's object into the shape a spec already drives, and says which
settings it can take (``errors.UnsupportedSetting`` for one it cannot). Optimizers:
``optim_*.py`` (the order they are tried in: ``optim_styles.STYLES``); schedules:
``schedule_*.py``.
"""
