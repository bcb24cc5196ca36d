"""Staff of the whole system: most work at a branch (their home branch), a few at the state
office; some facilitate, one or two manage each branch, three are administrators. Everyone
shares one password, hashed once when this file was written (see ``PASSWORD``)."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass

from app.models import User
from app.seed.dataset import Dataset
from app.seed.places import SeedBranch
from app.seed.words import FIRST_NAMES, LAST_NAMES
from app.text import fold

PASSWORD = "statewide-scale-2026"  # noqa: S105  (printed for logins to the seeded data)
# generate_password_hash(PASSWORD), computed once: 20,000 people do not need 20,000 hashes.
ONE_HASH = (
    "scrypt:32768:8:1$vLJM6UU62FTUfgJy$3751ecc3d393179b86d048e1a2bd7c71907932735a2f2db81fdea3b8"
    "22c2ae126c68f5c7ca4c12e2ffe6ede8933eaeff8ddc30fe9828d502eff893cf9fc661c1"
)
DOMAIN = "statelibrary.example.org"
# Known accounts to sign in with: (email, name, admin?, facilitator?, manages the central branch?)
KNOWN = [
    (f"admin@{DOMAIN}", "Alex Admin", True, False, False),
    (f"manager@{DOMAIN}", "Maria Manager", False, False, True),
    (f"facilitator@{DOMAIN}", "Frank Facilitator", False, True, False),
]


@dataclass
class SeedUser:
    id: int
    name: str
    email: str
    branch: SeedBranch | None


def search_text(model: type, row: dict) -> str:
    """What the ORM would store in ``search_text`` (``Searchable.folded_search_text``)."""
    return "\n".join(fold(row.get(name)) for name in model.search_fields)


def _user(data: Dataset, now: dt.datetime, **row) -> int:
    row.setdefault("is_admin", False)
    row.setdefault("is_facilitator", False)
    row.update(
        password_hash=ONE_HASH,
        active=row.get("active", True),
        session_version=1,
        anonymised_at=None,
        search_text=search_text(User, row),
        created_at=now,
        updated_at=now,
    )
    return data.add("user", **row)


def make_people(
    data: Dataset, rng: random.Random, branches: list[SeedBranch], count: int, now: dt.datetime
) -> list[SeedUser]:
    central = branches[0]
    users: list[SeedUser] = []
    for email, name, admin, facilitates, manages in KNOWN:
        user_id = _user(
            data,
            now,
            email=email,
            name=name,
            is_admin=admin,
            is_facilitator=facilitates,
            timezone=central.tz,
            locale="en",
            home_branch_id=central.id,
        )
        if manages:
            central.managers.append(user_id)
        if facilitates:
            central.facilitators.append(user_id)
        users.append(SeedUser(user_id, name, email, central))
    weights = [b.weight for b in branches]
    for n in range(count - len(KNOWN)):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        local = re.sub(r"[^a-z0-9-]", "", f"{fold(first)}.{fold(last)}".replace(" ", "-"))
        email = f"{local}.{n + 1}@{DOMAIN}"
        branch = rng.choices(branches, weights)[0] if rng.random() > 0.03 else None
        facilitates = rng.random() < 0.025
        user_id = _user(
            data,
            now,
            email=email,
            name=name,
            is_facilitator=facilitates,
            active=rng.random() > 0.01,
            timezone=branch.tz if branch else central.tz,
            locale="es" if rng.random() < 0.1 else "en",
            home_branch_id=branch.id if branch else None,
            last_login_at=now - dt.timedelta(days=rng.randrange(400))
            if rng.random() < 0.6
            else None,
        )
        users.append(SeedUser(user_id, name, email, branch))
        if branch is not None:
            branch.staff.append(user_id)
            if facilitates:
                branch.facilitators.append(user_id)
    for branch in branches:
        # Every branch has a manager and at least two facilitators from its own staff.
        spare = [u for u in branch.staff if u not in branch.facilitators]
        while len(branch.facilitators) < 2 and spare:
            branch.facilitators.append(spare.pop())
        if not branch.managers and spare:
            branch.managers += spare[-(1 + (rng.random() < 0.4)) :]
        for manager in branch.managers:
            data.link("branch_manager", user_id=manager, branch_id=branch.id)
    promoted = {f for b in branches for f in b.facilitators}
    for row in data.rows["user"]:
        if row["id"] in promoted:
            row["is_facilitator"] = True
    return users
