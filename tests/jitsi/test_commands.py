"""Commands the service sends into a meeting, checked at real clients and the stand-ins."""

from __future__ import annotations

import pytest

from facilitation.live_events import LiveEvent
from plugin.jitsi import commands
from plugin.jitsi.commands import CommandRefused
from tests.conftest import Client
from tests.jitsi.conftest import joined, live_session, start_session, until
from tests.support import prosody
from tests.support.jitsi_standin import JitsiStandIn
from tests.support.participant import body_of, json_of

pytestmark = pytest.mark.prosody


async def test_chat_lower_hand_and_polls(
    jitsi_client: Client, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    _session_id, bot, feed = await live_session(jitsi_client, "https://meet.example.org/Choir")
    ana = await joined(server, "choir", "Ana")
    ben = await joined(server, "choir", "Ben")
    await feed.next(LiveEvent.PARTICIPANT_JOINED, id=ben.nick)

    await commands.send_chat_message(bot, "Now: Ana. Next: Ben")
    for person in (ana, ben):
        message = await person.wait_for(lambda e: body_of(e) == "Now: Ana. Next: Ben")
        assert message.get("type") == "groupchat"

    await commands.send_chat_message(bot, "You're next, Ben", to=ben.nick)
    private = await ben.wait_for(lambda e: body_of(e) == "You're next, Ben")
    assert private.get("type") == "chat"
    assert private.get("from") == f"choir@{prosody.MUC}/{bot.nick}"

    await ana.raise_hand()
    await feed.next(LiveEvent.RAISE_HAND_UPDATED, id=ana.nick)
    await until(lambda: bot.role == "moderator")
    await commands.lower_hand(bot, ana.nick)
    request = await ana.wait_for(lambda e: json_of(e) is not None)
    assert json_of(request) == {"name": "lower-hand-message", "type": ""}
    await ana.lower_hand()  # what Jitsi Meet does on that message
    assert (await feed.next(LiveEvent.RAISE_HAND_UPDATED, id=ana.nick))["handRaised"] == 0

    poll_id = await commands.create_poll(bot, "Tea or coffee?", ["Tea", "Coffee", " "])
    created = await feed.next(LiveEvent.POLL_CREATED, pollId=poll_id)
    assert (created["question"], created["answers"]) == ("Tea or coffee?", ["Tea", "Coffee"])
    assert created["senderId"] == bot.nick
    shown = await ben.wait_for(lambda e: (json_of(e) or {}).get("pollId") == poll_id)
    assert json_of(shown)["command"] == "new-poll"  # type: ignore[index]
    await ben.send_json(
        prosody.POLLS,
        {"type": "polls", "command": "answer-poll", "pollId": poll_id, "answers": [True, False]},
    )
    answered = await feed.next(LiveEvent.POLL_ANSWERED, pollId=poll_id)
    assert (answered["voterId"], answered["answers"]) == (ben.nick, [True, False])

    with pytest.raises(CommandRefused):
        await commands.create_poll(bot, "Only one answer?", ["Yes"])
    with pytest.raises(CommandRefused, match="too long"):  # Jitsi would drop it silently
        await commands.create_poll(bot, "Which? " + "é" * 300, ["A" * 200, "B" * 200])
    with pytest.raises(CommandRefused):
        await commands.send_chat_message(bot, "hello", to="nobody12")
    for person in (ana, ben):
        await person.close()


async def test_breakout_rooms_add_rename_move_and_close(
    jitsi_client: Client, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    _session_id, bot, feed = await live_session(jitsi_client, "https://meet.example.org/Workshop")
    await until(lambda: bot.role == "moderator")
    dee = await joined(server, "workshop", "Dee")
    caller = await joined(server, "workshop", "Caller ...456", phone=True)
    await feed.next(LiveEvent.PARTICIPANT_JOINED, id=caller.nick)

    await commands.add_breakout_room(bot, "Ideas")
    update = await feed.next(LiveEvent.BREAKOUT_ROOMS_UPDATED)
    rooms = {room["name"]: room_id for room_id, room in update["rooms"].items()}
    assert "Ideas" in rooms
    ideas = rooms["Ideas"]

    await commands.add_breakout_room(bot, "Spare")
    update = await feed.next(LiveEvent.BREAKOUT_ROOMS_UPDATED)
    spare = next(key for key, room in update["rooms"].items() if room.get("name") == "Spare")
    await commands.remove_breakout_room(bot, spare)
    update = await feed.next(LiveEvent.BREAKOUT_ROOMS_UPDATED)
    assert spare not in update["rooms"]
    with pytest.raises(CommandRefused):
        await commands.remove_breakout_room(bot, spare)

    await commands.rename_breakout_room(bot, ideas, "Big ideas")
    update = await feed.next(LiveEvent.BREAKOUT_ROOMS_UPDATED)
    assert update["rooms"][ideas]["name"] == "Big ideas"

    await commands.send_participant_to_room(bot, dee.nick, ideas)
    order = await dee.wait_for(
        lambda e: (json_of(e) or {}).get("event", "").endswith("move-to-room")
    )
    assert json_of(order)["roomJid"] == f"{ideas}@{prosody.BREAKOUT}"  # type: ignore[index]
    with pytest.raises(CommandRefused, match="phone"):
        await commands.send_participant_to_room(bot, caller.nick, ideas)

    # The component only told Dee; her Jitsi Meet moves her, and the next list shows it.
    assert await dee.move_to(json_of(order)["roomJid"])  # type: ignore[index]
    update = await feed.next_where(
        LiveEvent.BREAKOUT_ROOMS_UPDATED, lambda u: bool(u["rooms"][ideas]["participants"])
    )
    assert [p["jid"] for p in update["rooms"][ideas]["participants"].values()] == [dee.jid]
    closed = await commands.close_breakout_rooms(bot)
    assert closed == 1
    removed = await feed.next_where(
        LiveEvent.BREAKOUT_ROOMS_UPDATED, lambda u: ideas not in u["rooms"]
    )
    main = removed["rooms"]["workshop"]
    back = await dee.wait_for(
        lambda e: (json_of(e) or {}).get("event", "").endswith("move-to-room")
    )
    assert json_of(back)["roomJid"] == f"workshop@{prosody.MUC}"  # type: ignore[index]
    assert await dee.move_to(f"workshop@{prosody.MUC}")
    main = (
        await feed.next_where(
            LiveEvent.BREAKOUT_ROOMS_UPDATED,
            lambda u: (
                dee.jid in [p["jid"] for p in u["rooms"]["workshop"]["participants"].values()]
            ),
        )
    )["rooms"]["workshop"]
    assert main["isMainRoom"] is True
    actions = [request["type"].rsplit("/", 1)[-1] for request in standin.breakout_requests]
    assert actions[-2:] == ["move-to-room", "remove"]  # everyone back first, then remove
    assert standin.breakout_requests[-2]["roomJid"] == f"workshop@{prosody.MUC}"
    for person in (dee, caller):
        await person.close()


async def test_moderator_commands_are_refused_without_moderator_rights(
    jitsi_client: Client, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    standin.auto_owner = False  # a deployment where nobody made the assistant a moderator
    _, bot = await start_session(jitsi_client, "https://meet.example.org/Plain")
    eve = await joined(server, "plain", "Eve")
    await until(lambda: eve.nick in bot.roster.members)
    with pytest.raises(CommandRefused, match="moderator"):
        await commands.lower_hand(bot, eve.nick)
    with pytest.raises(CommandRefused, match="moderator"):
        await commands.add_breakout_room(bot, "Nope")
    await eve.close()
