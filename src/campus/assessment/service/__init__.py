"""Assessment business rules. Services never commit; every query lives in ``repository``."""
