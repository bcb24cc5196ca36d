from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from app.auth import services, sso
from app.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
)
from app.auth.permissions import public
from app.auth.sso_views import SIGNED_IN_WITH
from app.auth.sso_views import bp as sso_bp
from app.auth.token_views import bp as tokens_bp
from app.boundary import saving
from app.extensions import limiter
from app.i18n import choose_visitor_language
from app.links import external_url
from app.security import safe_next

bp = Blueprint("auth", __name__)
bp.register_blueprint(sso_bp)  # auth.sso.*: signing in with the library's identity provider
bp.register_blueprint(tokens_bp)  # auth.tokens.*: personal API tokens for the write API


def _login_limits() -> str:
    return current_app.config["LOGIN_LIMITS"]


def _login_ip_limits() -> str:
    return current_app.config["LOGIN_IP_LIMITS"]


def _account_key() -> str:
    # Per account *and* address: guessing one account is slowed, but strangers elsewhere
    # cannot lock its owner out (and a reset link works whatever the counters say).
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"login:{email}:{get_remote_address()}"


def _failed(response: Response) -> bool:
    """Per address only failed sign-ins count: a training room signing in together is not an
    attack. (Per account and address every attempt counts, so that a burst of guesses is
    cut off exactly: a check before and a count after could let a few more through.)"""
    return response.status_code != 302


def _start_session(user) -> None:
    # A fresh session at sign-in: nothing planted before it (fixation) survives.
    session.clear()
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_ip_limits, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_limits, methods=["POST"], key_func=_account_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            user = services.authenticate(
                form.email.data,
                form.password.data,
                staff_passwords=not services.staff_passwords_off(),
            )
        if saved and user is None:
            form.password.errors.append(_("That email and password do not match an account."))
        elif saved:
            _start_session(user)
            refresh()  # in their profile's language now, like the pages that follow
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(safe_next(request.args.get("next"), url_for("main.index")))
    sso_link = None
    if sso.configured():
        sso_link = url_for("auth.sso.login", next=request.args.get("next"))
    return render_template(
        "auth/login.html",
        form=form,
        sso_link=sso_link,
        sso_label=sso.button_label() if sso_link else None,
    )


@bp.post("/logout")
def logout():
    with_sso = session.get(SIGNED_IN_WITH) == "sso"
    current_user.end_sessions()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    provider = None
    if with_sso and sso.configured():
        provider = sso.end_session_url(external_url("auth.login"))
    if provider is None:
        return redirect(url_for("auth.login"))
    # Signed in there too: on to the provider's sign-out, by a page (the policy's
    # form-action 'self' would stop a redirect from this form to another site).
    return render_template(
        "auth/signed_out.html", provider_url=provider, provider=sso.provider_name()
    )


@bp.post("/language")
@public
def choose_language():
    """The switch on every page: kept on the profile of someone signed in (their emails
    follow it too), in a visitor's session otherwise (their pages only)."""
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        if current_user.is_authenticated:
            services.choose_language(current_user, locale)
        else:
            choose_visitor_language(locale)
    return redirect(safe_next(request.form.get("next"), url_for("main.index")))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit(_login_limits, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.send_password_reset(form.email.data)
        flash(
            _("If that address has an account, a reset link is on its way. It works once."),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    user = services.user_for_reset_token(token)
    if user is None:
        flash(_("That reset link has expired or was already used. Ask for a new one."), "error")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.change_password(user, form.password.data)
        logout_user()
        session.clear()
        flash(_("Your password is changed. Please sign in."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        services.update_profile(
            current_user, name=form.name.data, timezone=form.timezone.data, locale=form.locale.data
        )
        refresh()  # said in the language just chosen, like the page it leads to
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("That is not your current password."))
        else:
            services.change_password(current_user, form.password.data)
            # Keep this browser signed in with the new session version; others are out.
            _start_session(current_user._get_current_object())
            flash(_("Your password is changed. Other devices are signed out."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/password.html", form=form)
