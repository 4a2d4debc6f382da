"""STUB demo data — replaced later."""
DEMO_LOGINS = []


def seed_demo_data() -> bool:
    return False
