"""Staff accounts from CSV, in two steps like the catalogue import (:mod:`app.imports`):
:func:`plan_import` checks the whole file (every problem of every row, each account it would
create); :func:`apply_import` creates them all or nothing, each with its welcome email.

An email that already has an account is a problem, not an update: importing the same file
again creates nothing and says why, line by line.

The last column, ``home_branch`` (where the person works: their managers are that branch's),
is optional: a file with the first six columns only still imports.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.security import generate_password_hash
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.admin import services
from app.extensions import db
from app.forms import BaseForm, email_field, strip
from app.i18n import lazy_gettext as _l
from app.imports import Plan, cell_problems, read_rows, refuse_problems
from app.models import Branch, User
from app.timeutil import is_timezone

SALT = "staff-import"
CSV_HEADER = ("name", "email", "role", "branch", "timezone", "locale", "home_branch")
WITHOUT_HOME_BRANCH = CSV_HEADER[:-1]  # files made before the column was added
EXAMPLE_ROW = (
    "Ana Example",
    "ana.example@example.org",
    "facilitator",
    "",
    "America/Chicago",
    "es",
    "",
)
# The roles an account can have (User.is_admin, is_facilitator, managed_branches); a
# participant has none of them.
ROLES = ("participant", "facilitator", "manager", "admin")
DEFAULT_TIMEZONE = "America/New_York"  # as the account form and User.timezone
NAME_MAX, BRANCH_MAX = 120, 120
BRANCHES_LISTED = 10  # at most this many branch names in "allowed"


class StaffRowForm(BaseForm):
    """Name and email as the account form reads them (and refuses them)."""

    name = StringField(
        _l("Name"), filters=[strip], validators=[DataRequired(), Length(max=NAME_MAX)]
    )
    email = email_field()


@dataclass(frozen=True)
class StaffRow:
    line: int
    name: str
    email: str
    role: str
    branch: Branch | None  # the branch a manager manages
    timezone: str
    locale: str
    home_branch: Branch | None = None  # where the person works


@dataclass
class StaffPlan(Plan):
    rows: list[StaffRow] = field(default_factory=list)


def allowed(column: str) -> str:
    """What a column may hold, in words, for the problems table."""
    if column == "name":
        return _("Required, at most %(n)d characters.", n=NAME_MAX)
    if column == "email":
        return _("Required: an email address without an account yet, once in the file.")
    if column == "role":
        return _("One of: %(codes)s.", codes=", ".join(ROLES))
    if column == "branch":
        return _(
            "For a manager, the name of a branch (%(names)s); empty for other roles.",
            names=_branch_names() or _("there are no branches yet"),
        )
    if column == "home_branch":
        return _(
            "Empty, or the name of the branch where the person works (%(names)s).",
            names=_branch_names() or _("there are no branches yet"),
        )
    if column == "timezone":
        return _(
            "Empty (%(zone)s), or a time zone name like America/Chicago or Europe/Madrid.",
            zone=DEFAULT_TIMEZONE,
        )
    if column == "locale":
        languages = current_app.config["LANGUAGES"]
        return _(
            "Empty (%(default)s), or one of: %(codes)s.",
            default=current_app.config["BABEL_DEFAULT_LOCALE"],
            codes=", ".join(languages),
        )
    return ""


def _branch_names() -> str:
    names = db.session.scalars(
        sa.select(Branch.name).order_by(Branch.name).limit(BRANCHES_LISTED + 1)
    ).all()
    return ", ".join(names[:BRANCHES_LISTED]) + ("…" if len(names) > BRANCHES_LISTED else "")


def _header_of(data: bytes) -> tuple[str, ...]:
    """The columns the file's first row names: all of them, or all but ``home_branch``."""
    try:
        first = data.decode("utf-8-sig").splitlines()[0] if data else ""
    except UnicodeDecodeError:
        return CSV_HEADER  # read_rows says what is wrong
    cells = [cell.strip() for cell in first.split(",")]
    return WITHOUT_HOME_BRANCH if cells == list(WITHOUT_HOME_BRANCH) else CSV_HEADER


def plan_import(data: bytes) -> StaffPlan:
    """Check every row of the file. Never raises for what is in the file: every problem is
    in ``plan.problems``."""
    plan = StaffPlan()
    allowed_here = cache(allowed)  # the branch names are looked up once
    header = _header_of(data)
    rows = read_rows(data, header, plan.problems, empty=_("The file has no accounts."))
    emails = [row.cells["email"].strip().lower() for row in rows]
    taken = set(db.session.scalars(sa.select(User.email).where(User.email.in_(emails))))
    branches = {b.name.casefold(): b for b in db.session.scalars(sa.select(Branch))}
    seen: dict[str, int] = {}
    for row in rows:
        errors = _check_row(row.cells, branches)
        email = row.cells["email"].strip().lower()
        if "email" not in errors:
            if email in taken:
                errors["email"] = [_("There is already an account with this email.")]
            elif email in seen:
                errors["email"] = [_("This email is already on line %(line)d.", line=seen[email])]
            else:
                seen[email] = row.line
        if errors:
            plan.problems.extend(cell_problems(row.line, row.cells, errors, header, allowed_here))
        elif row.whole:
            plan.rows.append(_planned(row.line, row.cells, branches))
    plan.sort_problems()
    return plan


def _check_row(cells: dict[str, str], branches: dict[str, Branch]) -> dict[str, list[str]]:
    """Column -> what is wrong with it, for one row."""
    form = StaffRowForm(formdata=MultiDict(cells), meta={"csrf": False})
    form.validate()
    errors: dict[str, list[str]] = {name: [str(m) for m in ms] for name, ms in form.errors.items()}
    role = cells["role"].lower()
    branch = cells["branch"]
    if role not in ROLES:
        errors["role"] = [_("Unknown role.")]
    if len(branch) > BRANCH_MAX:
        errors["branch"] = [_("At most %(n)d characters.", n=BRANCH_MAX)]
    elif branch and branch.casefold() not in branches:
        errors["branch"] = [_("No branch has this name.")]
    elif role == "manager" and not branch:
        errors["branch"] = [_("A manager needs the branch they manage.")]
    elif branch and role in ROLES and role != "manager":
        errors["branch"] = [_("Only a manager has a branch: leave it empty for this role.")]
    home = cells.get("home_branch", "")
    if len(home) > BRANCH_MAX:
        errors["home_branch"] = [_("At most %(n)d characters.", n=BRANCH_MAX)]
    elif home and home.casefold() not in branches:
        errors["home_branch"] = [_("No branch has this name.")]
    if cells["timezone"] and not is_timezone(cells["timezone"]):
        errors["timezone"] = [_("Unknown time zone.")]
    if cells["locale"] and cells["locale"].lower() not in current_app.config["LANGUAGES"]:
        errors["locale"] = [_("Unknown language.")]
    return errors


def _planned(line: int, cells: dict[str, str], branches: dict[str, Branch]) -> StaffRow:
    return StaffRow(
        line=line,
        name=cells["name"],
        email=cells["email"].lower(),
        role=cells["role"].lower(),
        branch=branches.get(cells["branch"].casefold()) if cells["branch"] else None,
        timezone=cells["timezone"] or DEFAULT_TIMEZONE,
        locale=cells["locale"].lower() or current_app.config["BABEL_DEFAULT_LOCALE"],
        home_branch=branches.get(cells.get("home_branch", "").casefold()),
    )


def apply_import(plan: StaffPlan, acting: User) -> int:
    """Create every planned account and queue its welcome email; returns how many. Refuses a
    plan that has any problem: nothing is saved then."""
    refuse_problems(plan)
    # Nobody knows this password: the owner chooses one through the welcome link. One hash
    # for the whole file (hashing is slow on purpose); sign-in still checks it in full time.
    placeholder = generate_password_hash(secrets.token_urlsafe(32))
    for row in plan.rows:
        user = services.save_user(
            None,
            acting=acting,
            name=row.name,
            email=row.email,
            timezone=row.timezone,
            is_facilitator=row.role == "facilitator",
            is_admin=row.role == "admin",
            active=True,
            branch_ids=[row.branch.id] if row.branch else [],
            home_branch_id=row.home_branch.id if row.home_branch else None,
        )
        user.locale = row.locale
        user.password_hash = placeholder
        services.invite(user)
    db.session.flush()
    return len(plan.rows)
