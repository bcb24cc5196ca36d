"""The rules of pathways: what an admin may draft, publish and retire, the steps (each target
once, courses and credentials that are still offered), and who may join or leave.

Nothing here commits: the request boundary does (app/boundary.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import (
    AuditEvent,
    CareerStage,
    Course,
    Credential,
    Pathway,
    PathwayMember,
    PathwayStatus,
    PathwayStep,
    SkillArea,
    User,
)
from app.rules import RuleViolation, unique_or_violation

STAGES = frozenset(s.value for s in CareerStage)
AREAS = frozenset(a.value for a in SkillArea)


@dataclass(frozen=True)
class PathwayInput:
    name: str
    career_stage: str
    goal: str = ""
    description: str = ""


def _audit(by: User, action: str, pathway: Pathway, detail: str = "") -> None:
    db.session.add(
        AuditEvent(
            actor_id=by.id,
            action=f"pathway.{action}",
            subject=f"pathway:{pathway.id}",
            detail=detail or pathway.name,
        )
    )


def save_pathway(pathway: Pathway | None, data: PathwayInput, *, by: User) -> Pathway:
    """Draft a pathway (``pathway`` None) or change one's name, stage, goal and description."""
    name = " ".join(data.name.split())
    if not name:
        raise RuleViolation(_("Enter the pathway's name."), "name")
    if data.career_stage not in STAGES:
        raise RuleViolation(_("Choose a career stage."), "career_stage")
    message = _("A pathway called “%(name)s” already exists.", name=name)
    same = db.session.scalar(sa.select(Pathway).filter_by(name=name))
    if same is not None and same is not pathway:
        raise RuleViolation(message, "name", conflict=True)
    added = pathway is None
    if added:
        pathway = Pathway(status=PathwayStatus.draft)
        db.session.add(pathway)
    pathway.name = name
    pathway.career_stage = CareerStage(data.career_stage)
    pathway.goal = " ".join(data.goal.split())
    pathway.description = data.description.strip()
    with unique_or_violation(message, "name"):  # two admins saving the same name at once
        db.session.flush()
    _audit(by, "add" if added else "edit", pathway)
    return pathway


# --- steps -----------------------------------------------------------------------------------


def parse_target(value: str) -> tuple[str, str]:
    """A step's target as the form sends it: "course:12", "skill_area:leadership" or
    "credential:3"."""
    kind, _sep, key = (value or "").partition(":")
    if kind not in ("course", "skill_area", "credential") or not key:
        raise RuleViolation(_("Choose what the step asks for."), "target")
    return kind, key


def _target_step(kind: str, key: str) -> PathwayStep:
    """A new step for the target, refused when it does not exist or is no longer offered."""
    missing = RuleViolation(_("Choose what the step asks for."), "target")
    if kind == "skill_area":
        if key not in AREAS:
            raise missing
        return PathwayStep(skill_area=SkillArea(key))
    if not key.isdigit() or len(key) > 9:
        raise missing
    if kind == "course":
        course = db.session.get(Course, int(key))
        if course is None:
            raise missing
        if course.retired:
            t = course.title
            message = _("“%(title)s” is retired: choose a course still in the catalogue.", title=t)
            raise RuleViolation(message, "target")
        return PathwayStep(course_id=course.id, course=course)
    credential = db.session.get(Credential, int(key))
    if credential is None:
        raise missing
    if not credential.active:
        raise RuleViolation(
            _("“%(name)s” is retired from the credentials list.", name=credential.name), "target"
        )
    return PathwayStep(credential_id=credential.id, credential=credential)


def add_step(pathway: Pathway, target: str, *, optional: bool, by: User) -> PathwayStep:
    """Add a step at the end. The same course, skill area or credential twice is refused."""
    if pathway.is_retired:
        raise RuleViolation(_("This pathway is retired: its steps cannot change."))
    step = _target_step(*parse_target(target))
    message = _("That step is already on this pathway.")
    if any(_target_of(s) == _target_of(step) for s in pathway.steps):
        raise RuleViolation(message, "target", conflict=True)
    step.optional = optional
    step.position = max((s.position for s in pathway.steps), default=0) + 1
    with unique_or_violation(message, "target"):  # the same step added twice at once
        pathway.steps.append(step)
        db.session.flush()
    _audit(by, "add_step", pathway, step_name(step))
    return step


def _target_of(step: PathwayStep) -> tuple:
    return step.course_id, step.skill_area, step.credential_id


def step_name(step: PathwayStep) -> str:
    """How a step is named in the trail (pages name it with the templates' words)."""
    if step.course is not None:
        return step.course.title
    if step.credential is not None:
        return step.credential.name
    return f"skill area {step.skill_area}"


def _step_of(pathway: Pathway, step_id: int) -> PathwayStep:
    step = next((s for s in pathway.steps if s.id == step_id), None)
    if step is None:
        raise RuleViolation(_("That step is no longer on this pathway."))
    return step


def remove_step(pathway: Pathway, step_id: int, *, by: User) -> None:
    """A published pathway keeps at least one step (an empty one cannot be followed)."""
    step = _step_of(pathway, step_id)
    if pathway.is_retired:
        raise RuleViolation(_("This pathway is retired: its steps cannot change."))
    if pathway.is_published and len(pathway.steps) == 1:
        raise RuleViolation(_("A published pathway keeps at least one step."))
    pathway.steps.remove(step)
    db.session.flush()
    _audit(by, "remove_step", pathway, step_name(step))


def move_step(pathway: Pathway, step_id: int, up: bool) -> None:
    """Swap the step with the one before (``up``) or after it; the ends stay put."""
    steps = list(pathway.steps)
    step = _step_of(pathway, step_id)
    i = steps.index(step)
    j = i - 1 if up else i + 1
    if 0 <= j < len(steps):
        steps[i], steps[j] = steps[j], steps[i]
    for position, s in enumerate(steps, start=1):
        s.position = position
    db.session.flush()


# --- status ----------------------------------------------------------------------------------


def publish(pathway: Pathway, *, by: User) -> None:
    if pathway.is_published:
        raise RuleViolation(_("“%(name)s” is already published.", name=pathway.name))
    if not pathway.steps:
        raise RuleViolation(
            _("Add at least one step before publishing: an empty pathway cannot be followed.")
        )
    if all(s.optional for s in pathway.steps):
        raise RuleViolation(_("Make at least one step required before publishing."))
    pathway.status = PathwayStatus.published
    _audit(by, "publish", pathway)


def retire(pathway: Pathway, *, by: User) -> None:
    """Nobody new joins; its members keep it and their progress."""
    if pathway.is_retired:
        raise RuleViolation(_("“%(name)s” is already retired.", name=pathway.name))
    pathway.status = PathwayStatus.retired
    _audit(by, "retire", pathway)


# --- members ---------------------------------------------------------------------------------


def member(pathway: Pathway, user: User) -> PathwayMember | None:
    return db.session.scalar(
        sa.select(PathwayMember).filter_by(pathway_id=pathway.id, user_id=user.id)
    )


def join(pathway: Pathway, user: User) -> PathwayMember:
    if not pathway.is_published:
        raise RuleViolation(
            _("“%(name)s” is retired: nobody new can join it.", name=pathway.name)
            if pathway.is_retired
            else _("“%(name)s” is not published yet.", name=pathway.name)
        )
    message = _("You are already following “%(name)s”.", name=pathway.name)
    if member(pathway, user) is not None:
        raise RuleViolation(message, conflict=True)
    kept = PathwayMember(pathway_id=pathway.id, user_id=user.id)
    with unique_or_violation(message):  # a double click that raced past the check above
        db.session.add(kept)
    return kept


def leave(pathway: Pathway, user: User) -> None:
    kept = member(pathway, user)
    if kept is None:
        raise RuleViolation(_("You are not following “%(name)s”.", name=pathway.name))
    db.session.delete(kept)
    db.session.flush()


def followed(user: User) -> list[Pathway]:
    """The pathways the user follows (published or since retired), by name."""
    return list(
        db.session.scalars(
            sa.select(Pathway)
            .join(PathwayMember, PathwayMember.pathway_id == Pathway.id)
            .where(PathwayMember.user_id == user.id, Pathway.status != PathwayStatus.draft)
            .order_by(Pathway.name)
        )
    )
