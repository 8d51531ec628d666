"""The closed loop: who gets the follow-up (a team leader, never the agent), when it is due
(2 business days on the client's calendar, in the debtor's time zone), the screens, and the
overdue follow-ups in the control room."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from access.errors import DomainError
from access.models import Team, TeamMembership
from access.roles import Role
from experience.answers import response_record
from experience.loop import follow_up_assignee, follow_up_close, follow_up_due
from experience.models import FollowUp
from tests.experience.answering import sent_survey
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")


# --- when it is due ---------------------------------------------------------------------------

def test_two_business_days_skip_an_italian_holiday_and_the_weekend():
    # Thursday 30 April 2026, 10:00 in Rome; Friday 1 May is Labour Day, then the weekend.
    answered = dt.datetime(2026, 4, 30, 10, 0, tzinfo=ROME)

    due = follow_up_due(answered_at=answered, client_country="IT", debtor_zone="Europe/Rome")

    assert due == dt.datetime(2026, 5, 5, 10, 0, tzinfo=ROME)  # Monday 4 = 1, Tuesday 5 = 2


def test_a_friday_answer_is_due_on_tuesday():
    answered = dt.datetime(2026, 3, 13, 16, 30, tzinfo=ROME)

    due = follow_up_due(answered_at=answered, client_country="IT", debtor_zone="Europe/Rome")

    assert due == dt.datetime(2026, 3, 17, 16, 30, tzinfo=ROME)


def test_a_saturday_answer_counts_from_monday():
    answered = dt.datetime(2026, 3, 14, 11, 0, tzinfo=ROME)

    due = follow_up_due(answered_at=answered, client_country="IT", debtor_zone="Europe/Rome")

    assert due == dt.datetime(2026, 3, 17, 11, 0, tzinfo=ROME)


def test_the_clock_is_the_debtors_and_the_calendar_the_clients():
    # 23:30 UTC on Wednesday 29 April is already Thursday 30 April 01:30 in Rome.
    answered = dt.datetime(2026, 4, 29, 23, 30, tzinfo=dt.UTC)

    italian = follow_up_due(answered_at=answered, client_country="IT",
                            debtor_zone="Europe/Rome")
    # The same local day on a calendar without 1 May as a holiday (the US client's).
    american = follow_up_due(answered_at=answered, client_country="US",
                             debtor_zone="Europe/Rome")

    assert italian == dt.datetime(2026, 5, 5, 1, 30, tzinfo=ROME)
    assert american == dt.datetime(2026, 5, 4, 1, 30, tzinfo=ROME)


# --- who gets it ------------------------------------------------------------------------------

@pytest.fixture
def team(personas):
    """The agent's team, led by the team leader of client A."""
    team = Team.objects.create(name="Milano 1")
    TeamMembership.objects.create(team=team, user=personas.agent)
    TeamMembership.objects.create(team=team, user=personas.team_leader, is_leader=True)
    return team


def test_the_follow_up_goes_to_a_leader_of_the_agents_team(personas, team):
    other_leader = user_with_role(Role.TEAM_LEADER, clients=(personas.client_a,),
                                  username="leader_elsewhere")
    assert other_leader.pk  # a leader of the client outside the agent's team

    chosen = follow_up_assignee(client_id=personas.client_a.pk, agent_id=personas.agent.pk)

    assert chosen == personas.team_leader


def test_an_agent_who_also_leads_the_team_never_gets_their_own_follow_up(personas, team):
    # The agent is also a team leader of the same team (a player-coach).
    personas.agent.groups.add(*personas.team_leader.groups.all())
    TeamMembership.objects.filter(team=team, user=personas.agent).update(is_leader=True)

    chosen = follow_up_assignee(client_id=personas.client_a.pk, agent_id=personas.agent.pk)

    assert chosen is not None
    assert chosen != personas.agent
    assert chosen == personas.team_leader


def test_a_leader_who_does_not_work_on_the_client_is_not_chosen(personas, team):
    outsider = user_with_role(Role.TEAM_LEADER, clients=(personas.client_b,),
                              username="leader_b")
    TeamMembership.objects.create(team=team, user=outsider, is_leader=True)
    TeamMembership.objects.filter(user=personas.team_leader).delete()

    chosen = follow_up_assignee(client_id=personas.client_a.pk, agent_id=personas.agent.pk)

    # Falls back to a team leader of the client (here the one outside the team).
    assert chosen == personas.team_leader
    assert chosen != outsider


def test_without_any_other_leader_it_stays_unassigned(personas):
    lone = user_with_role(Role.TEAM_LEADER, clients=(personas.client_b,), username="lone")

    chosen = follow_up_assignee(client_id=personas.client_b.pk, agent_id=lone.pk)

    assert chosen is None


def test_the_least_loaded_leader_of_the_team_gets_the_next_one(personas, team):
    second = user_with_role(Role.TEAM_LEADER, clients=(personas.client_a,), username="second")
    TeamMembership.objects.create(team=team, user=second, is_leader=True)
    first = sent_survey(personas.client_a, agent=personas.agent)
    response_record(signed_token=first.token, nps=2, comment="rude")
    taken = FollowUp.objects.get().assigned_to

    nxt = follow_up_assignee(client_id=personas.client_a.pk, agent_id=personas.agent.pk)

    assert {taken, nxt} == {personas.team_leader, second}


def test_an_answer_opens_the_follow_up_for_the_leader_with_its_due_time(personas, team):
    sent = sent_survey(personas.client_a, agent=personas.agent)
    answered = dt.datetime(2026, 4, 30, 10, 0, tzinfo=ROME)
    sent.survey.sent_at = answered - dt.timedelta(hours=2)
    sent.survey.expires_at = answered + dt.timedelta(days=14)
    sent.survey.save()

    answer = response_record(signed_token=sent.token, nps=9, complaint=True, now=answered)

    follow_up = FollowUp.objects.get(response=answer)
    assert follow_up.reason == "complaint"  # a promoter, but flagged as a complaint
    assert follow_up.assigned_to == personas.team_leader
    assert follow_up.due_at == dt.datetime(2026, 5, 5, 10, 0, tzinfo=ROME)


def test_a_detractor_without_a_comment_opens_nothing(personas, team):
    sent = sent_survey(personas.client_a, agent=personas.agent)

    response_record(signed_token=sent.token, nps=3, comment="   ")

    assert not FollowUp.objects.exists()


def test_a_detractor_who_complains_gives_both_reasons(personas, team):
    sent = sent_survey(personas.client_a, agent=personas.agent)

    response_record(signed_token=sent.token, nps=0, comment="threatening", complaint=True)

    assert FollowUp.objects.get().reason == "detractor,complaint"


# --- closing ----------------------------------------------------------------------------------

@pytest.fixture
def follow_up(personas, team):
    sent = sent_survey(personas.client_a, agent=personas.agent, language="it")
    response_record(signed_token=sent.token, nps=2, comment="Operatore scortese")
    return FollowUp.objects.get()


def test_closing_records_the_resolution_once(personas, follow_up):
    follow_up_close(follow_up=follow_up, resolution="called_back", notes=" Apologised ",
                    actor=personas.team_leader)

    with pytest.raises(DomainError) as refused:
        follow_up_close(follow_up=follow_up, resolution="no_action", notes="",
                        actor=personas.team_leader)

    follow_up.refresh_from_db()
    assert refused.value.code == "already_closed"
    assert (follow_up.status, follow_up.resolution, follow_up.notes, follow_up.closed_by) == (
        "closed", "called_back", "Apologised", personas.team_leader)


def test_closing_without_a_known_resolution_is_refused(personas, follow_up):
    with pytest.raises(DomainError) as refused:
        follow_up_close(follow_up=follow_up, resolution="made_up", notes="",
                        actor=personas.team_leader)

    follow_up.refresh_from_db()
    assert refused.value.field == "resolution"
    assert follow_up.status == "open"


# --- the screens ------------------------------------------------------------------------------

def test_the_list_shows_open_first_and_flags_the_overdue(client, personas, follow_up):
    FollowUp.objects.filter(pk=follow_up.pk).update(
        due_at=dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC))
    client.force_login(personas.team_leader)

    body = client.get(reverse("experience:follow_up_list")).content.decode()

    assert follow_up.debtor.name in body
    assert 'data-testid="overdue"' in body


def test_the_detail_shows_the_answer_the_call_verdict_and_closes(client, personas, follow_up):
    client.force_login(personas.team_leader)
    url = reverse("experience:follow_up_detail", args=[follow_up.pk])

    page = client.get(url).content.decode()
    bad = client.post(reverse("experience:follow_up_close", args=[follow_up.pk]),
                      {"resolution": "", "notes": "x"})
    closed = client.post(reverse("experience:follow_up_close", args=[follow_up.pk]),
                         {"resolution": "issue_fixed", "notes": "Sorted"})

    assert "Operatore scortese" in page
    assert 'data-testid="call-verdict"' in page
    assert reverse("portfolio:debtor_detail", args=[follow_up.debtor_id]) in page
    assert bad.status_code == 400
    assert "Choose how the follow-up ended." in bad.content.decode()
    assert closed.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.resolution) == ("closed", "issue_fixed")


@pytest.mark.parametrize("role", ["agent", "committee", "viewer_a"])
def test_agents_committee_and_client_viewers_do_not_get_the_screens(client, personas,
                                                                    follow_up, role):
    client.force_login(getattr(personas, role))

    assert client.get(reverse("experience:follow_up_list")).status_code == 403
    assert client.get(reverse("experience:follow_up_detail",
                              args=[follow_up.pk])).status_code == 403
    assert client.post(reverse("experience:follow_up_close", args=[follow_up.pk]),
                       {"resolution": "no_action"}).status_code == 403
    follow_up.refresh_from_db()
    assert follow_up.status == "open"


def test_another_clients_leader_finds_nothing(client, personas, follow_up):
    leader_b = user_with_role(Role.TEAM_LEADER, clients=(personas.client_b,),
                              username="leader_b")
    client.force_login(leader_b)

    listing = client.get(reverse("experience:follow_up_list")).content.decode()
    detail = client.get(reverse("experience:follow_up_detail", args=[follow_up.pk]))
    close = client.post(reverse("experience:follow_up_close", args=[follow_up.pk]),
                        {"resolution": "no_action"})

    assert follow_up.debtor.name not in listing
    assert detail.status_code == 404
    assert close.status_code == 404


def test_the_list_reads_in_a_fixed_number_of_queries(client, personas, team,
                                                     django_assert_max_num_queries):
    for _ in range(4):
        sent = sent_survey(personas.client_a, agent=personas.agent)
        response_record(signed_token=sent.token, nps=1, comment="bad")
    client.force_login(personas.team_leader)
    client.get(reverse("experience:follow_up_list"))  # warm the session and roles

    with django_assert_max_num_queries(8):
        response = client.get(reverse("experience:follow_up_list"))

    assert response.content.decode().count('data-testid="follow-up-row"') == 4


def test_overdue_follow_ups_show_in_the_control_room(client, personas, follow_up):
    client.force_login(personas.team_leader)
    room = reverse("recovery:control_room")

    before = client.get(room).content.decode()
    FollowUp.objects.filter(pk=follow_up.pk).update(
        due_at=dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC))
    after = client.get(room).content.decode()
    live = client.get(room, headers={"HX-Request": "true"}).content.decode()

    assert 'data-testid="overdue-follow-ups"' in before
    assert follow_up.debtor.name not in before
    assert follow_up.debtor.name in after
    assert follow_up.debtor.name in live  # the partial refreshed every 10 seconds
