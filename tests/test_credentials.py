"""The admin's list of credentials: keeping it (admins only), outcomes that name one (grant
amount, dates up to today in the circle's zone, a second report of the same credential), the
report that counts by credential, the demo's credentials and migration 0012's data step."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from app.models import AuditEvent, Circle, Credential, Outcome
from app.timeutil import UTCDateTime, local_today, utcnow
from tests.conftest import login
from tests.factories import enroll
from tests.test_reports import fetch

LEAD, ADMIN, PARTICIPANT = "lead@example.org", "admin@example.org", "pat@example.org"


def text(response) -> str:
    return html.unescape(response.text)


def add_credential(query, name: str, kind: str = "credential", **fields) -> int:
    def add():
        credential = Credential(name=name, kind=kind, **fields)
        db.session.add(credential)
        db.session.commit()
        return credential.id

    return query(add)


def credentials(query) -> list[tuple]:
    return query(
        lambda: [
            (c.name, c.kind, c.awarding_body, c.ce_hours, c.active)
            for c in db.session.scalars(sa.select(Credential).order_by(Credential.id))
        ]
    )


def outcomes(query) -> list[tuple]:
    return query(
        lambda: [
            (o.enrollment_id, o.kind, o.credential_id, o.title, o.ce_hours)
            for o in db.session.scalars(sa.select(Outcome).order_by(Outcome.id))
        ]
    )


# --- keeping the list ------------------------------------------------------------------------


def test_admin_adds_edits_retires_restores_and_deletes(client, world, query):
    login(client, ADMIN)
    assert "No credentials yet." in text(client.get("/credentials/"))
    new = {"name": "  NNLM CHIS   Level 1 ", "kind": "credential", "awarding_body": "MLA"}
    response = client.post("/credentials/new", data=new | {"ce_hours": "12"})
    assert response.headers["Location"] == "/credentials/"
    assert credentials(query) == [("NNLM CHIS Level 1", "credential", "MLA", Decimal(12), True)]

    # Another spelling of the same name is refused beside the name; nothing is added.
    response = client.post("/credentials/new", data=new | {"name": "nnlm chis level 1"})
    assert response.status_code == 409
    assert '<p class="error" id="name-error">“nnlm chis level 1” is already on the list.' in (
        text(response)
    )
    for bad, field, message in [
        ({"name": " "}, "name", "Enter the credential's name."),
        ({"ce_hours": "-1"}, "ce_hours", "Enter hours between 0 and 1000."),
        ({"ce_hours": "1.234"}, "ce_hours", "Use at most two decimal places."),
        ({"kind": "grant"}, "kind", "Not a valid choice"),
    ]:
        response = client.post("/credentials/new", data=new | {"name": "Other"} | bad)
        assert f'<p class="error" id="{field}-error">{message}' in text(response), bad
    assert len(credentials(query)) == 1

    chis = query(lambda: db.session.scalar(sa.select(Credential.id)))
    page = text(client.get(f"/credentials/{chis}/edit"))
    assert 'value="NNLM CHIS Level 1"' in page
    client.post(
        f"/credentials/{chis}/edit",
        data={"name": "NNLM CHIS Level I", "kind": "credential", "awarding_body": "MLA / NNLM"},
    )
    assert credentials(query) == [("NNLM CHIS Level I", "credential", "MLA / NNLM", None, True)]

    # Retiring asks first; the question alone changes nothing.
    page = text(client.get(f"/credentials/{chis}/retire"))
    assert "Retire “NNLM CHIS Level I”? It will no longer be offered" in page
    assert credentials(query)[0][-1] is True
    client.post(f"/credentials/{chis}/retire")
    assert credentials(query)[0][-1] is False
    page = text(client.get("/credentials/"))
    assert "retired" in page
    assert "Put back" in page
    response = client.post(f"/credentials/{chis}/retire", follow_redirects=True)
    assert "“NNLM CHIS Level I” is already retired." in text(response)
    client.post(f"/credentials/{chis}/restore")
    assert credentials(query)[0][-1] is True

    page = text(client.get(f"/credentials/{chis}/delete"))
    assert "Delete “NNLM CHIS Level I”? This cannot be undone." in page
    assert len(credentials(query)) == 1
    client.post(f"/credentials/{chis}/delete")
    assert credentials(query) == []
    actions = query(
        lambda: list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))
    )
    assert actions == [
        "credential.add",
        "credential.edit",
        "credential.retire",
        "credential.restore",
        "credential.delete",
    ]
    assert client.get(f"/credentials/{chis}/edit").status_code == 404


def test_a_credential_outcomes_name_is_retired_not_deleted(client, world, setting, query):
    chis = add_credential(query, "NNLM CHIS Level 1")
    login(client, LEAD)
    client.post(f"/circles/{setting.circle}/outcomes", data=outcome_data(chis))
    client.post("/logout")
    login(client, ADMIN)
    page = text(client.get("/credentials/"))
    row = page.split("NNLM CHIS Level 1</a>")[1].split("</tr>")[0]
    assert '<td class="num">1</td>' in row  # one outcome names it
    assert "Delete" not in row  # offered only for unused ones
    response = client.post(f"/credentials/{chis}/delete", follow_redirects=True)
    assert "Outcomes name “NNLM CHIS Level 1”: retire it instead." in text(response)
    response = client.post(
        f"/credentials/{chis}/edit", data={"name": "NNLM CHIS Level 1", "kind": "certificate"}
    )
    assert "Outcomes already name it: its kind cannot change any more." in text(response)
    assert credentials(query) == [("NNLM CHIS Level 1", "credential", "", None, True)]
    # The database agrees: the outcome's credential cannot go from under it.
    with pytest.raises(sa.exc.IntegrityError):
        query(lambda: (db.session.delete(db.session.get(Credential, chis)), db.session.flush()))


@pytest.mark.parametrize("email", [LEAD, "boss@example.org", PARTICIPANT])
def test_only_admins_keep_the_list(client, world, query, email):
    chis = add_credential(query, "NNLM CHIS Level 1")
    login(client, email)
    for path in (
        "/credentials/",
        "/credentials/new",
        f"/credentials/{chis}/edit",
        f"/credentials/{chis}/retire",
        f"/credentials/{chis}/delete",
    ):
        assert client.get(path).status_code == 403, path
        response = client.post(path, data={"name": "X", "kind": "credential"})
        assert response.status_code in {403, 405}, path  # the list itself takes no POST
    assert client.post(f"/credentials/{chis}/restore").status_code == 403
    assert credentials(query) == [("NNLM CHIS Level 1", "credential", "", None, True)]
    assert "/credentials/" not in client.get("/").text  # no Manage link either


def test_the_manage_menu_links_the_list_for_admins(client, world):
    login(client, ADMIN)
    page = client.get("/credentials/").text
    assert '<a href="/credentials/" aria-current="page">Credentials</a>' in page
    assert '<a href="/credentials/">Credentials</a>' in client.get("/").text


# --- outcomes that name a credential ---------------------------------------------------------


def outcome_data(credential_id: int | None = None, **overrides) -> dict:
    data = {
        "enrollment_id": "",
        "kind": "credential",
        "credential_id": str(credential_id or ""),
        "title": "",
        "achieved_on": (utcnow() - dt.timedelta(days=3)).date().isoformat(),
        "ce_hours": "",
        "funder": "",
        "amount": "",
        "evidence_url": "",
    }
    return data | overrides


def refused(client, setting, data: dict, field: str, message: str) -> None:
    response = client.post(f"/circles/{setting.circle}/outcomes", data=data)
    assert response.status_code in (200, 409)
    assert f'<p class="error" id="{field}-error">{message}' in text(response), data


def test_credentials_are_chosen_from_the_list_with_their_hours(client, world, setting, query):
    chis = add_credential(query, "NNLM CHIS Level 1", ce_hours=Decimal(12))
    webjunction = add_credential(query, "WebJunction certificate", kind="certificate")
    retired = add_credential(query, "Old credential", active=False)
    login(client, LEAD)
    page = text(client.get(f"/circles/{setting.circle}/outcomes"))
    assert f'<option value="{chis}">NNLM CHIS Level 1</option>' in page
    assert "Old credential" not in page  # retired: no longer offered
    assert 'name="again"' not in page  # only after a refusal

    refused(
        client, setting, outcome_data(), "credential_id", "Choose the credential from the list."
    )
    refused(
        client,
        setting,
        outcome_data(retired),
        "credential_id",
        "“Old credential” is retired: choose one from the list.",
    )
    refused(
        client,
        setting,
        outcome_data(chis, kind="promotion", title="Supervisor"),
        "credential_id",
        "Only credentials and certificates name one from the list: leave it empty.",
    )
    refused(client, setting, outcome_data(kind="other"), "title", "Enter a title.")
    assert outcomes(query) == []

    for data in (
        outcome_data(chis, enrollment_id=str(setting.ann), title="typed, not kept"),
        outcome_data(chis, enrollment_id=str(setting.bob), ce_hours="10.5"),
        # The kind chosen was "credential": the list says it is a certificate.
        outcome_data(webjunction, enrollment_id=str(setting.ann)),
    ):
        assert client.post(f"/circles/{setting.circle}/outcomes", data=data).status_code == 302
    assert outcomes(query) == [
        (setting.ann, "credential", chis, "NNLM CHIS Level 1", Decimal(12)),
        (setting.bob, "credential", chis, "NNLM CHIS Level 1", Decimal("10.50")),
        (setting.ann, "certificate", webjunction, "WebJunction certificate", None),
    ]
    # Renamed on the list: outcomes show the name as it is now.
    query(
        lambda: (setattr(db.session.get(Credential, chis), "name", "CHIS I"), db.session.commit())
    )
    page = text(client.get(f"/circles/{setting.circle}/outcomes"))
    assert "CHIS I <span" in page
    assert "NNLM CHIS Level 1" not in page


def test_a_grant_needs_an_amount_and_a_funder(client, world, setting, query):
    login(client, LEAD)
    grant = outcome_data(kind="grant", title="Teen lab", funder="State Library", amount="2500")
    message = "Enter the amount of the grant."
    refused(client, setting, grant | {"amount": ""}, "amount", message)
    refused(client, setting, grant | {"amount": "0"}, "amount", message)
    refused(client, setting, grant | {"funder": " "}, "funder", "Enter who gave the grant.")
    assert outcomes(query) == []
    assert client.post(f"/circles/{setting.circle}/outcomes", data=grant).status_code == 302
    assert query(lambda: db.session.scalar(sa.select(Outcome.amount_cents))) == 250000


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_dates_go_up_to_today_on_the_circles_clock(client, world, setting, query, zone):
    """UTC+14 and UTC-11: for most of each day their date is not the server's (UTC) one."""
    query(
        lambda: (
            setattr(db.session.get(Circle, setting.circle), "timezone", zone),
            db.session.commit(),
        )
    )
    today = local_today(zone)
    login(client, LEAD)
    other = outcome_data(kind="other", title="Led a workshop")
    refused(
        client,
        setting,
        other | {"achieved_on": (today + dt.timedelta(days=1)).isoformat()},
        "achieved_on",
        f"Enter a date between 2000-01-01 and today ({today.isoformat()}).",
    )
    assert outcomes(query) == []
    other["achieved_on"] = today.isoformat()
    assert client.post(f"/circles/{setting.circle}/outcomes", data=other).status_code == 302
    assert len(outcomes(query)) == 1


def test_the_same_credential_for_the_same_person_is_flagged(client, world, setting, query):
    chis = add_credential(query, "NNLM CHIS Level 1")
    level2 = add_credential(query, "NNLM CHIS Level 2")
    login(client, LEAD)
    first = outcome_data(chis, enrollment_id=str(setting.pat), achieved_on="2026-01-15")
    assert client.post(f"/circles/{setting.circle}/outcomes", data=first).status_code == 302
    recorded = query(lambda: db.session.scalar(sa.select(Outcome.created_at)))
    on = recorded.astimezone(ZoneInfo("America/New_York")).date()  # the circle's day

    again = outcome_data(chis, enrollment_id=str(setting.pat))
    response = client.post(f"/circles/{setting.circle}/outcomes", data=again)
    page = text(response)
    assert response.status_code == 409
    assert (
        f'<p class="error" id="again-error">Already reported on {on.isoformat()} '
        "(NNLM CHIS Level 1, achieved 2026-01-15)."
    ) in page
    assert 'name="again"' in page  # the box to say it is another one
    assert len(outcomes(query)) == 1

    # Not the same: another credential, another person.
    for data in (
        outcome_data(level2, enrollment_id=str(setting.pat)),
        outcome_data(chis, enrollment_id=str(setting.ann)),
    ):
        assert client.post(f"/circles/{setting.circle}/outcomes", data=data).status_code == 302
    # Said to be another (a renewal): recorded.
    response = client.post(f"/circles/{setting.circle}/outcomes", data=again | {"again": "y"})
    assert response.status_code == 302
    assert [o[:3] for o in outcomes(query)] == [
        (setting.pat, "credential", chis),
        (setting.pat, "credential", level2),
        (setting.ann, "credential", chis),
        (setting.pat, "credential", chis),
    ]

    # The participant reporting it in another circle is the same person (by email).
    other_circle = world.circle(audience="public", title="CHIS again", start_time=dt.time(10))
    place = enroll(client.application, other_circle, "Pat", PARTICIPANT)
    client.post("/logout")
    login(client, PARTICIPANT)
    response = client.post(f"/my/enrollments/{place}/outcome", data=outcome_data(chis))
    assert "Already reported on" in text(response)
    assert len(outcomes(query)) == 4


# --- the report ------------------------------------------------------------------------------


def test_the_report_counts_each_credential_once_whatever_the_spelling(
    client, world, setting, query
):
    chis = add_credential(query, "NNLM CHIS Level 1")

    def record():
        for person, title, credential_id in [
            (setting.pat, "NNLM CHIS Level 1", chis),
            (setting.ann, "nnlm chis level 1 ", chis),  # recorded before the list, then linked
            (setting.bob, "CHIS (level one)", chis),
            (setting.pat, "Typed certificate", None),  # an older one, on no list
        ]:
            db.session.add(
                Outcome(
                    circle_id=setting.circle,
                    enrollment_id=person,
                    kind="credential",
                    credential_id=credential_id,
                    title=title,
                    ce_hours=Decimal(12),
                    achieved_on=dt.date(2026, 1, 15),
                )
            )
        db.session.commit()

    query(record)
    login(client, ADMIN)
    header, *rows = fetch(client, "credentials-by-title")
    assert header == ["Title", "Kind", "Earned", "CE hours"]
    assert rows == [
        ["NNLM CHIS Level 1", "Credential", "3", "36.00"],
        ["Typed certificate", "Credential", "1", "12.00"],
    ]
    query(
        lambda: (setattr(db.session.get(Credential, chis), "name", "CHIS I"), db.session.commit())
    )
    assert fetch(client, "credentials-by-title")[1][:3] == [
        "CHIS I",
        "Credential",
        "3",
    ]


# --- the demo and the migration --------------------------------------------------------------


def test_the_demo_seeds_credentials_once_and_its_outcomes_name_them(app, demo, query):
    def summary():
        return {
            c.name: (
                c.kind,
                c.ce_hours,
                len(db.session.scalars(sa.select(Outcome.id).filter_by(credential_id=c.id)).all()),
            )
            for c in db.session.scalars(sa.select(Credential))
        }

    assert query(summary) == {
        # Six from the spring cohort, and two its people had earned nearly three years before
        # (app/attendance/demo.py: one lapses soon, one has lapsed).
        "NNLM CHIS Level 1": ("credential", Decimal(12), 8),
        "NNLM CHIS Level 2": ("credential", Decimal(24), 1),
        "WebJunction certificate": ("certificate", None, 0),
        "Coursera course certificate": ("certificate", None, 3),
    }
    unnamed = query(
        lambda: db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Outcome)
            .where(Outcome.kind.in_(["credential", "certificate"]), Outcome.credential_id.is_(None))
        )
    )
    assert unnamed == 0
    second = app.test_cli_runner().invoke(args=["demo", "load"])
    assert "Demo data already present." in second.output
    assert query(summary)["NNLM CHIS Level 1"] == ("credential", Decimal(12), 8)
    assert len(query(summary)) == 4


def test_the_migration_makes_one_credential_per_kind_and_spelling(fresh_database_url):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": fresh_database_url, "SECRET_KEY": "x", "TESTING": True}
    )
    with app.app_context():
        upgrade()
        result = app.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
        db.session.remove()
        downgrade(revision="0011")  # the demo's outcomes, as they were before the list
        outcome = sa.table(
            "outcome",
            *(sa.column(n) for n in ("circle_id", "kind", "title", "funder")),
            *(sa.column(n) for n in ("evidence_url", "status")),
            sa.column("ce_hours", sa.Numeric(6, 2)),
            sa.column("achieved_on", sa.Date),
            sa.column("created_at", UTCDateTime),
            sa.column("updated_at", UTCDateTime),
        )
        circle = db.session.scalar(sa.text("SELECT MIN(id) FROM circle"))
        now = utcnow()
        for kind, title, hours in [
            ("credential", "  nnlm CHIS   level 1", Decimal(10)),  # one more spelling
            ("credential", "Coursera course certificate", None),  # the certificate's name
            ("certificate", "   ", None),  # no title: nothing to name
        ]:
            db.session.execute(
                outcome.insert().values(
                    circle_id=circle,
                    kind=kind,
                    title=title,
                    ce_hours=hours,
                    funder="",
                    achieved_on=dt.date(2026, 1, 15),
                    evidence_url="",
                    status="confirmed",
                    created_at=now,
                    updated_at=now,
                )
            )
        db.session.commit()
        db.session.remove()

        upgrade()
        made = {
            c.name: (c.kind, c.ce_hours, c.active, c.name_key)
            for c in db.session.scalars(sa.select(Credential))
        }
        assert made == {
            "NNLM CHIS Level 1": ("credential", Decimal(12), True, "nnlm chis level 1"),
            "NNLM CHIS Level 2": ("credential", Decimal(24), True, "nnlm chis level 2"),
            "Coursera course certificate": (
                "certificate",
                None,
                True,
                "coursera course certificate",
            ),
            "Coursera course certificate (credential)": (
                "credential",
                None,
                True,
                "coursera course certificate (credential)",
            ),
        }
        linked = db.session.execute(
            sa.select(Credential.name, sa.func.count())
            .join(Outcome, Outcome.credential_id == Credential.id)
            .group_by(Credential.name)
        ).all()
        assert dict(linked) == {
            "NNLM CHIS Level 1": 9,  # the demo's eight and the other spelling
            "NNLM CHIS Level 2": 1,
            "Coursera course certificate": 3,
            "Coursera course certificate (credential)": 1,
        }
        rest = db.session.execute(
            sa.select(Outcome.kind, Outcome.title).where(Outcome.credential_id.is_(None))
        ).all()
        assert sorted(k for k, _ in rest) == ["certificate", "grant", "promotion", "promotion"]
        db.session.remove()
        db.engine.dispose()
