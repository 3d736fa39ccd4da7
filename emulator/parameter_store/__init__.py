"""Parameter Store: parameters, their versions, labels, policies, tiers and public parameters.

handlers.py holds the operations; names.py the naming rules; values.py tiers, patterns and data
types; policies.py parameter policies; filters.py listing filters; storage.py and schema.py the
tables; public.py AWS's public parameters; render.py rows to response models.
"""
from emulator.parameter_store.handlers import ParameterStore

__all__ = ["ParameterStore"]
