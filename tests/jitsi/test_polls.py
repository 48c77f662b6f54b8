"""The assistant's polls on both kinds of Jitsi deployment, against real Prosody.

A "component" deployment (docker-jitsi-meet stable-10532 and later) runs the polls
component stand-in and advertises it in the domain's disco#info; a "room" deployment
(earlier releases) runs the in-room mod_polls stand-in on the MUC and has no polls
component, so Prosody bounces anything sent to polls.DOMAIN.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import pytest

from plugin.jitsi import commands, stanzas
from plugin.jitsi.commands import CommandRefused
from plugin.jitsi.jid import Jid
from plugin.jitsi.polls import PollNotDelivered, PollRoute, PollStyle, PollTracker
from plugin.settings import SettingsError, load_settings
from tests.jitsi.conftest import MakeClient, joined, start_session, until
from tests.support import prosody
from tests.support.jitsi_standin import JitsiStandIn
from tests.support.participant import Participant, json_of

pytestmark = pytest.mark.prosody
IN_ROOM = pytest.mark.parametrize("server", ["room"], indirect=True)


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[prosody.Prosody]:
    """Prosody as a deployment of the given polls style ("component" unless parametrized)."""
    style = getattr(request, "param", "component")
    instance = prosody.Prosody(tmp_path / "prosody", polls_style=style)
    instance.start()
    yield instance
    instance.stop()


def poll_of(poll_id: str) -> Any:
    return lambda element: (json_of(element) or {}).get("pollId") == poll_id


async def send_groupchat_json(person: Participant, payload: dict[str, Any], msg_id: str) -> None:
    """What Jitsi Meet of the in-room era sends: conference.sendMessage(object)."""
    assert person.ws is not None
    text = json.dumps(payload).replace("&", "&amp;").replace("<", "&lt;")
    await person.ws.send(
        f"<message xmlns='jabber:client' to='{person.room_jid}' type='groupchat' id='{msg_id}'>"
        f"<json-message xmlns='http://jitsi.org/jitmeet'>{text}</json-message></message>"
    )


async def test_auto_finds_the_polls_component_and_waits_for_its_broadcast(
    make_client: MakeClient, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    _, bot = await start_session(await make_client(), "https://meet.example.org/Choir")
    ben = await joined(server, "choir", "Ben")
    await until(lambda: standin.room_of(ben.jid) is not None)  # the component knows Ben

    poll_id = await commands.create_poll(bot, "Tea or coffee?", ["Tea", "Coffee"])

    # Returned only after the component took it and sent it round (the bot included).
    assert [poll["pollId"] for poll in standin.polls] == [poll_id]
    assert bot.polls.configured is PollStyle.AUTO
    shown = json_of(await ben.wait_for(poll_of(poll_id)))
    assert shown is not None
    assert (shown["type"], shown["command"], shown["senderId"]) == ("polls", "new-poll", bot.nick)
    assert shown["answers"] == [{"name": "Tea"}, {"name": "Coffee"}]
    await ben.close()


async def test_a_poll_the_component_drops_is_refused_not_reported_as_sent(
    make_client: MakeClient, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    _, bot = await start_session(await make_client(), "https://meet.example.org/Full")
    # mod_polls_component drops new polls past 128 in a room without a word.
    standin.room_polls[f"full@{prosody.MUC}"] = {str(n): {} for n in range(128)}
    bot.polls.echo_wait = 1.0

    with pytest.raises(CommandRefused, match="Jitsi did not accept the poll: it did not reach"):
        await commands.create_poll(bot, "One more?", ["Yes", "No"])
    assert standin.polls == []


@IN_ROOM
async def test_auto_on_an_in_room_deployment_polls_the_room_and_people_see_it(
    make_client: MakeClient, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    _, bot = await start_session(await make_client(), "https://meet.example.org/Circle")
    ana = await joined(server, "circle", "Ana")
    ben = await joined(server, "circle", "Ben")

    poll_id = await commands.create_poll(bot, "Walk or talk?", ["Walk", "Talk", " "])

    # What a web participant of that release gets: the room's relay of the bot's groupchat.
    seen = await ben.wait_for(poll_of(poll_id))
    assert seen.get("type") == "groupchat"
    assert seen.get("from") == f"circle@{prosody.MUC}/{bot.nick}"
    assert json_of(seen) == {
        "type": "new-poll",
        "pollId": poll_id,
        "senderId": bot.nick,
        "senderName": bot.config.display_name,
        "question": "Walk or talk?",
        "answers": ["Walk", "Talk"],
    }
    # Ben answers the way Jitsi Meet of that release does; the room passes it on.
    answer = {
        "type": "answer-poll",
        "pollId": poll_id,
        "voterId": ben.nick,
        "answers": [True, False],
    }
    await send_groupchat_json(ben, answer, "a1")
    relayed = await ana.wait_for(lambda e: (json_of(e) or {}).get("type") == "answer-poll")
    assert json_of(relayed) == answer

    # Someone joining later is told about the poll by the room (mod_polls' old-polls).
    cai = Participant(server, "circle", "Cai")
    await cai.connect()
    await cai.join()
    old = await cai.wait_for(lambda e: (json_of(e) or {}).get("type") == "old-polls")
    polls = json_of(old)["polls"]  # type: ignore[index]
    assert [(p["id"], p["senderId"], p["question"]) for p in polls] == [
        (poll_id, bot.nick, "Walk or talk?")
    ]
    for person in (ana, ben, cai):
        await person.close()


@IN_ROOM
async def test_component_polls_forced_on_an_in_room_deployment_are_refused(
    make_client: MakeClient, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    client = await make_client(polls_style="component")
    _, bot = await start_session(client, "https://meet.example.org/Forced")
    assert bot.config.polls_style == "component", "Connector.config_for passes the setting on"
    ben = await joined(server, "forced", "Ben")

    with pytest.raises(CommandRefused) as refused:
        await commands.create_poll(bot, "Tea or coffee?", ["Tea", "Coffee"])

    # Prosody itself bounced it: there is no polls component on this deployment.
    message = str(refused.value)
    assert message.startswith("Jitsi did not accept the poll: the server said not-allowed")
    assert "FACILITATE_POLLS_STYLE" in message
    with pytest.raises(TimeoutError):
        await ben.wait_for(lambda e: json_of(e) is not None, timeout=0.5)
    await ben.close()


@IN_ROOM
async def test_the_in_room_stand_in_refuses_and_drops_what_mod_polls_does(
    server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    ana = await joined(server, "rules", "Ana")
    ben = await joined(server, "rules", "Ben")
    poll = {"type": "new-poll", "pollId": "p1", "question": "Q?", "answers": ["A", "B"]}
    await send_groupchat_json(ana, poll, "n1")
    await ben.wait_for(poll_of("p1"))
    await ana.wait_for(poll_of("p1"))  # the sender gets the room's relay too

    await send_groupchat_json(ana, poll, "n2")  # same pollId again
    bounced = await ana.wait_for(lambda e: e.get("id") == "n2")
    assert bounced.get("type") == "error"
    assert bounced.find(".//{urn:ietf:params:xml:ns:xmpp-stanzas}not-allowed") is not None

    # A vote for an answer the poll lacks, and a new-poll without answers: dropped silently.
    await send_groupchat_json(
        ben, {"type": "answer-poll", "pollId": "p1", "answers": [1, 2, 3]}, "v1"
    )
    await send_groupchat_json(ana, {"type": "new-poll", "pollId": "p2", "question": "Q"}, "n3")
    with pytest.raises(TimeoutError):
        await ana.wait_for(lambda e: json_of(e) is not None or e.get("type") == "error", 0.5)
    # Other json-messages are none of its business.
    await send_groupchat_json(ben, {"type": "e2e-ping", "id": 1}, "x1")
    assert json_of(await ana.wait_for(lambda e: json_of(e) is not None)) == {
        "type": "e2e-ping",
        "id": 1,
    }
    for person in (ana, ben):
        await person.close()


# --- the tracker and the setting, without a server ------------------------------------


def bounce(sender: str, message_id: str, condition: str = "service-unavailable") -> Any:
    return stanzas.MessageError(Jid.parse(sender), message_id, condition, "Component unavailable")


async def test_only_the_address_written_to_can_bounce_a_poll() -> None:
    tracker = PollTracker("component", "polls.meet.jitsi", "r@muc.meet.jitsi", echo_wait=1.0)
    route = PollRoute(PollStyle.COMPONENT, "polls.meet.jitsi")
    payload = tracker.payload(route, "p1", "Q?", ["A", "B"], nick="bot1", display_name="Bot")
    sent: list[str] = []

    async def send(text: str) -> None:
        sent.append(text)
        tracker.observe(bounce("someone@meet.jitsi/x", "m1"))  # not who we wrote to
        tracker.observe(bounce("polls.meet.jitsi", "other-id"))  # not our message
        tracker.observe(bounce("polls.meet.jitsi", "m1"))

    with pytest.raises(PollNotDelivered, match="service-unavailable \\(Component unavailable\\)"):
        await tracker.deliver(route, payload, "m1", "r@muc.meet.jitsi/bot1", send)
    message = stanzas.parse_xml(sent[0])
    assert message.get("id") == "m1" and message.get("type") == "chat"
    node = message.find("{http://jitsi.org/jitmeet}json-message")
    assert isinstance(node, Element) and node.get("roomJid") == "r@muc.meet.jitsi"


async def test_an_in_room_poll_counts_only_when_our_own_echo_comes_back() -> None:
    tracker = PollTracker("room", "polls.meet.jitsi", "r@muc.meet.jitsi", echo_wait=1.0)
    route = PollRoute(PollStyle.ROOM, "r@muc.meet.jitsi")
    payload = tracker.payload(route, "p1", "Q?", ["A", "B"], nick="bot1", display_name="Bot")

    def echo(sender: str, delayed: bool = False) -> stanzas.JsonMessage:
        return stanzas.JsonMessage(Jid.parse(sender), dict(payload), delayed)

    async def send(text: str) -> None:
        assert stanzas.parse_xml(text).get("type") == "groupchat"
        tracker.observe(echo("r@muc.meet.jitsi/someone"))  # another occupant, same id
        tracker.observe(echo("r@muc.meet.jitsi/bot1", delayed=True))  # history replay
        await asyncio.sleep(0)
        asyncio.get_running_loop().call_later(0.05, tracker.observe, echo("r@muc.meet.jitsi/bot1"))

    await tracker.deliver(route, payload, "m1", "r@muc.meet.jitsi/bot1", send)

    async def silent(text: str) -> None:
        pass

    with pytest.raises(PollNotDelivered, match="did not reach the meeting"):
        await tracker.deliver(
            route, {**payload, "pollId": "p2"}, "m2", "r@muc.meet.jitsi/bot1", silent
        )


def test_the_polls_style_setting_names_the_choices() -> None:
    assert load_settings(environ={"FACILITATE_POLLS_STYLE": " Room "}).polls_style == "room"
    assert load_settings(environ={}).polls_style == "auto"
    with pytest.raises(SettingsError, match="FACILITATE_POLLS_STYLE: one of auto"):
        load_settings(environ={"FACILITATE_POLLS_STYLE": "inroom"})
