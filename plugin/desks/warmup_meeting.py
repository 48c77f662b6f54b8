"""What a warm-up says in the meeting, best effort: the question in the chat, a Jitsi poll
(with Pass as its last answer) for a vote, the question spoken on PBX calls, a spoken
"please press 1 to N" after a key that is not a choice, and the results at the end if the
facilitator chose. Callers hear their own call's language (plugin.desks.caller_language);
the chat, the poll and the console are in the service's. A meeting that cannot be reached
never stops the warm-up: the console shows what did not work, and the read-aloud script
always reaches phone callers."""

from __future__ import annotations

import logging
from collections.abc import Callable

from facilitation.phone.replies import prompt_id
from facilitation.warmups import Format, Tally, WarmUp, keypad_instructions, please_press
from facilitation.warmups import counts as tally_counts
from facilitation.warmups import passes as tally_passes
from plugin.clock import Clock
from plugin.db import phone as phone_db
from plugin.db.engine import Database
from plugin.db.models import MeetingSession, PhoneCall
from plugin.desks.caller_language import CallerLanguages, call_ref, speak_to_each
from plugin.i18n import N_
from plugin.jitsi import commands
from plugin.jitsi.bot_types import NotConnected
from plugin.jitsi.connector import Connector
from plugin.phoneline import PhoneLine, PhoneLineError, Spoken

log = logging.getLogger(__name__)
Translate = Callable[[str], str]


def sentences(warmup: WarmUp, translate: Translate) -> list[str]:
    """The keypad instructions, translated and filled in."""
    out = []
    for text, values in keypad_instructions(warmup):
        filled = {
            k: translate(v) if k in ("option", "low", "high") else v for k, v in values.items()
        }
        out.append(translate(text) % filled)
    return out


def labels(warmup: WarmUp, translate: Translate) -> list[str]:
    """What people pick from, as shown on the web: a scale's ends carry their words."""
    shown = [translate(choice) for choice in warmup.choices]
    if warmup.format is Format.SCALE and len(shown) == 5:
        low, high = (translate(option) for option in warmup.options)
        shown[0], shown[-1] = f"1 ({low})", f"5 ({high})"
    return shown


def english(text: str) -> str:
    """The source text itself: what a recording's prompt id is named by."""
    return text


def question(warmup: WarmUp, translate: Translate) -> str:
    return translate(N_("Warm-up (%(title)s): %(prompt)s")) % {
        "title": translate(warmup.title),
        "prompt": translate(warmup.prompt),
    }


class WarmupVoice:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        connector: Connector,
        line: PhoneLine,
        translate: Translate,
        voices: CallerLanguages | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.connector = connector
        self.line = line
        self.translate = translate
        self.voices = voices or CallerLanguages(translate)

    def is_assistant(self, session_id: str, sender: str) -> bool:
        bot = self.connector.bot(session_id)
        return bot is not None and sender == bot.nick

    async def begin(self, session: MeetingSession, warmup: WarmUp) -> tuple[str | None, list[str]]:
        """Put the warm-up to the meeting; returns the poll's id (if one was made) and what
        did not work, for the console."""
        t = self.translate
        notices: list[str] = []
        poll_id = None
        chat = " ".join([question(warmup, t), *sentences(warmup, t)])
        if warmup.format not in (Format.GO_ROUND, Format.CHAT_PROMPT):
            options = " ".join(
                f"{number}: {label}." for number, label in enumerate(labels(warmup, t), start=1)
            )
            chat = f"{question(warmup, t)} {options} " + t(N_("Say “pass” to pass."))
        bot = self.connector.bot(session.id)
        try:
            if bot is None or not bot.ready:
                raise NotConnected("the assistant is not in the meeting")
            await commands.send_chat_message(bot, chat[: commands.MAX_CHAT])
            if warmup.format not in (Format.GO_ROUND, Format.CHAT_PROMPT):
                answers = [*labels(warmup, t), t(N_("Pass"))]
                poll_id = await commands.create_poll(bot, t(warmup.prompt), answers)
        except (commands.CommandRefused, NotConnected) as exc:
            notices.append(
                t(N_("Not everything reached the meeting (%(detail)s): read the question out."))
                % {"detail": str(exc)}
            )
        notices.extend(await self._speak_to_callers(session.id, warmup))
        return poll_id, notices

    def spoken(self, warmup: WarmUp, call: PhoneCall) -> list[Spoken]:
        """The question and the keys, in the call's language; prompts named by the English."""
        t = self.voices.for_call(call)
        said = [question(warmup, t), *sentences(warmup, t)]
        source = [question(warmup, english), *sentences(warmup, english)]
        return [Spoken(text, prompt_id(name)) for text, name in zip(said, source, strict=True)]

    async def _speak_to_callers(self, session_id: str, warmup: WarmUp) -> list[str]:
        async with self.database.session() as db:
            calls = await phone_db.calls_in_meeting(db, session_id)
        failed = await speak_to_each(self.line, calls, lambda call: self.spoken(warmup, call))
        for _call, exc in failed:
            log.info("a caller did not hear the warm-up: %s", exc)
        if not failed:
            return []
        text = N_("%(n)s phone callers did not hear the question: read it out.")
        return [self.translate(text) % {"n": str(len(failed))}]

    async def please_press(self, session_id: str, person_id: str, warmup: WarmUp) -> None:
        text, values = please_press(len(warmup.choices))
        async with self.database.session() as db:
            calls = await phone_db.calls_by_person(db, session_id, self.clock.now())
            await db.commit()
        call = calls.get(person_id)
        if call is None or not self.line.can_speak(call.dialect):
            return
        try:
            await self.line.speak(call_ref(call), [self.voices.say(call, text, values)])
        except PhoneLineError as exc:
            log.info("could not remind a caller of the keys: %s", exc)

    async def results(self, session: MeetingSession, warmup: WarmUp, tally: Tally) -> None:
        t = self.translate
        counts = tally_counts(tally)
        parts = [
            f"{label}: {count}" for label, count in zip(labels(warmup, t), counts, strict=False)
        ]
        text = t(N_("Warm-up results: %(results)s. %(passes)s passed.")) % {
            "results": ", ".join(parts),
            "passes": str(tally_passes(tally)),
        }
        if warmup.answer is not None:
            text += " " + t(N_("The number was %(number)s.")) % {"number": str(warmup.answer)}
        bot = self.connector.bot(session.id)
        if bot is None or not bot.ready or warmup.format in (Format.GO_ROUND, Format.CHAT_PROMPT):
            return
        try:
            await commands.send_chat_message(bot, text[: commands.MAX_CHAT])
        except (commands.CommandRefused, NotConnected) as exc:
            log.info("could not announce the warm-up results: %s", exc)
