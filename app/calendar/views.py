"""Calendar feeds over HTTP: access, caching headers, and the Subscribe page."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.permissions import (
    can_manage_branch,
    manageable_branches,
    public,
    visible_circle_or_404,
)
from app.calendar import services
from app.emails import language
from app.extensions import db
from app.forms import ConfirmForm
from app.i18n import browser_language
from app.links import external_url, feed_links, subscribe_links
from app.models import Branch, FeedScope, Meeting, Room, User
from app.timeutil import utcnow

bp = Blueprint("calendar", __name__)


def _respond(feed: services.Feed) -> Response:
    now = utcnow()
    links = feed_links()
    etag, last_modified = services.fingerprint(feed, links, now)
    cache_control = "private, max-age=300" if feed.private else "public, max-age=300"
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        body = services.cached_render(feed, etag, links, now)
        response = Response(body, mimetype="text/calendar")
        response.headers["Content-Type"] = "text/calendar; charset=utf-8"
        response.headers["Content-Disposition"] = f'inline; filename="{feed.filename}"'
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = cache_control
    return response


def _respond_public(make_feed) -> Response:
    """A public feed is fetched by calendar apps and kept by shared caches: it is in the
    browser's language (Vary: Accept-Language), never a visitor's switch or a profile, which
    only the cookie carries."""
    with force_locale(language(browser_language())):
        return _respond(make_feed())


@bp.get("/circles/<int:circle_id>/calendar.ics")
@public
def circle_ics(circle_id: int):
    return _respond_public(lambda: services.circle_feed(visible_circle_or_404(circle_id)))


@bp.get("/meetings/<int:meeting_id>.ics")
@public
def meeting_ics(meeting_id: int):
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    visible_circle_or_404(meeting.circle_id)
    return _respond_public(lambda: services.meeting_feed(meeting))


def _feed_for(user: User, scope: str, target_id: int | None) -> services.Feed | None:
    """The feed a link stands for, if its owner may still see it."""
    if scope == FeedScope.personal:
        return services.personal_feed(user)
    if scope == FeedScope.facilitator and user.is_facilitator:
        return services.facilitator_feed(user)
    if scope == FeedScope.branch:
        branch = db.session.get(Branch, target_id)
        if branch is not None and can_manage_branch(user, branch):
            return services.branch_feed(branch)
    if scope == FeedScope.room:
        room = db.session.get(Room, target_id)
        if room is not None and can_manage_branch(user, room.branch):
            return services.room_feed(room)
    return None


@bp.get("/feeds/<token>.ics")
@public
def secret_feed(token: str):
    """Unknown, revoked and no-longer-allowed links all get the same 404. The calendar app
    that reads it says nothing of its owner's language: the feed is in the owner's."""
    found = services.token_for(token)
    if found is None or not found.user.active:
        abort(404)
    with force_locale(language(found.user.locale)):
        feed = _feed_for(found.user, found.scope, found.target_id)
        if feed is None:
            abort(404)
        response = _respond(feed)
    services.touch(found, utcnow())
    return response


# --- the Subscribe page ---------------------------------------------------------------------------


def _my_feeds(user: User) -> list[tuple[str, int | None, str]]:
    """(scope, target, label) of every feed this user may subscribe to."""
    feeds = [(FeedScope.personal, None, _("My circles (meetings of circles I joined)"))]
    if user.is_facilitator:
        feeds.append((FeedScope.facilitator, None, _("Circles I facilitate")))
    for branch in db.session.scalars(manageable_branches(user)):
        feeds.append(
            (
                FeedScope.branch,
                branch.id,
                _("%(branch)s: every circle and booking", branch=branch.name),
            )
        )
        for room in branch.rooms:
            feeds.append(
                (
                    FeedScope.room,
                    room.id,
                    _("%(room)s at %(branch)s", room=room.name, branch=branch.name),
                )
            )
    return feeds


@bp.route("/calendar/", methods=["GET", "POST"])
def subscribe():
    me = current_user._get_current_object()
    feeds = _my_feeds(me)
    allowed = {(scope, target) for scope, target, _label in feeds}
    form = ConfirmForm()
    new_link = None
    if form.validate_on_submit():
        scope = request.form.get("scope", "")
        target = request.form.get("target", type=int)
        if (scope, target) not in allowed:
            abort(404)
        if request.form.get("action") == "revoke":
            services.revoke(me, FeedScope(scope), target)
        else:
            token = services.issue_token(me, FeedScope(scope), target)
            label = next(label for s, t, label in feeds if (s, t) == (scope, target))
            new_link = {
                "scope": scope,
                "target": target,
                "label": label,
                **subscribe_links(external_url("calendar.secret_feed", token=token), label),
            }
    return render_template(
        "calendar/subscribe.html",
        feeds=feeds,
        active=services.active_tokens(me),
        new_link=new_link,
        form=form,
    )
