"""The check-out desk: personal links and their delivery, saving a person's answers, the
flags they raise (pushed live), the no-check-out flags after the meeting, and retention."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from babel.support import NullTranslations
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.checkout import Contact, flag_for
from facilitation.checkout_form import CheckoutForm
from facilitation.followup import Seen, attendees, missing
from facilitation.meeting_events import AlertsQueued, CheckoutFlagged
from plugin.bus import EventBus
from plugin.clock import Clock
from plugin.db import attendance as attendance_db
from plugin.db import checkout_links, flags, retention
from plugin.db.checkouts import live_payload, record_flag, seal_details
from plugin.db.engine import Database
from plugin.db.models import Checkout, CheckoutLink, MeetingSession, Participant
from plugin.db.outbox import Alerts, queue_digest
from plugin.i18n import N_
from plugin.jitsi import commands
from plugin.jitsi.connector import Connector
from plugin.security.sealing import Sealer
from plugin.settings import Settings

log = logging.getLogger(__name__)
SEND_TIMEOUT = 10.0


class CheckoutDesk:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock,
        bus: EventBus,
        connector: Connector,
        translations: NullTranslations,
    ) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock
        self.bus = bus
        self.connector = connector
        self.translations = translations
        self.sealer = Sealer(settings.secret())
        self.lifetime = timedelta(hours=settings.checkout_link_hours)

    def url(self, token: str) -> str:
        return f"{self.settings.base_url}/checkout/{token}"

    async def link_for(self, session_id: str, jitsi_id: str | None, channel: str) -> str:
        """A new personal link; tied to the meeting participant when the page knows who
        they were (the join page's embedded meeting tells it)."""
        now = self.clock.now()
        async with self.database.session() as db:
            person_id = None
            if jitsi_id:
                query = (
                    select(Participant.id)
                    .where(Participant.session_id == session_id, Participant.jitsi_id == jitsi_id)
                    .order_by(col(Participant.id).desc())
                )
                person_id = (await db.exec(query)).first()
            token = checkout_links.issue(db, session_id, person_id, channel, now, self.lifetime)
            await db.commit()
        return token

    async def send_links(self, session_id: str, *, only_missing: bool) -> int:
        """Each web participant in the meeting gets their own link by private chat (phone
        callers do the keypad check-out). Returns how many were sent."""
        bot = self.connector.bot(session_id)
        if bot is None:
            return 0
        now = self.clock.now()
        async with self.database.session() as db:
            query = select(Participant).where(
                Participant.session_id == session_id,
                Participant.kind == "web",
                col(Participant.left_at).is_(None),
                col(Participant.jitsi_id).is_not(None),
            )
            people = [p for p in (await db.exec(query)).all() if p.jitsi_id in bot.roster.members]
            done = await checkout_links.checked_out_participants(db, session_id)
            outgoing: list[tuple[str, str]] = []
            for person in people:
                if only_missing and person.id in done:
                    continue
                token = checkout_links.issue(db, session_id, person.id, "chat", now, self.lifetime)
                outgoing.append((person.jitsi_id or "", token))
            await db.commit()
        try:
            await asyncio.wait_for(self._send(session_id, outgoing), SEND_TIMEOUT)
        except TimeoutError:
            log.info("check-out links: gave up sending after %s s", SEND_TIMEOUT)
        return len(outgoing)

    async def _send(self, session_id: str, outgoing: list[tuple[str, str]]) -> None:
        bot = self.connector.bot(session_id)
        if bot is None or not outgoing:
            return
        gettext = self.translations.gettext
        try:
            await commands.send_chat_message(
                bot,
                gettext(
                    N_(
                        "Before you go, please tell us how you are. If you joined on the web, "
                        "look for my private message."
                    )
                ),
            )
        except Exception as exc:  # best effort; the message may hold no link, but be sure
            log.info("check-out announcement not sent: %s", type(exc).__name__)
        text = gettext(
            N_(
                "Thank you for coming. Please tell us how you are. It takes under a minute. "
                "This link is just for you, please do not share it: %(url)s"
            )
        )
        for jitsi_id, token in outgoing:
            try:
                await commands.send_chat_message(bot, text % {"url": self.url(token)}, to=jitsi_id)
            except Exception as exc:  # never log the message: it holds a personal link
                log.info("check-out link not sent: %s", type(exc).__name__)

    async def save(self, link: CheckoutLink, form: CheckoutForm) -> None:
        """Store (or change) the answers sent through one link, and raise its flag."""
        now = self.clock.now()
        answers = form.answers
        async with self.database.session() as db:
            person = await db.get(Participant, link.participant_id) if link.participant_id else None
            row = await checkout_links.checkout_of(db, link)
            if row is None:
                row = Checkout(
                    session_id=link.session_id,
                    participant_id=link.participant_id,
                    source="web",
                    link_id=link.id,
                    feeling="",
                    contact="",
                    created_at=now,
                )
            else:
                row.updated_at = now
            asked_to_chat = row.contact != Contact.CHAT_NOW.value
            row.display_name = person.shown_name if person else form.name
            row.feeling = answers.feeling.value
            row.contact = answers.contact.value
            row.contact_detail = seal_details(self.sealer, form.details.as_dict())
            row.note = self.sealer.seal_text(answers.note)
            row.feedback = self.sealer.seal_text(form.feedback)
            db.add(row)
            rule = flag_for(form.for_flagging(), self.settings.concerns)
            flag, notify = await record_flag(db, row, rule, now, Alerts.of(self.settings))
            await db.commit()
        chat_now = answers.contact is Contact.CHAT_NOW
        # One question at a time: "chat now" may come after the feeling already raised
        # the flag, and the console must still hear it at once.
        if flag is not None and (notify or (chat_now and asked_to_chat)):
            payload = live_payload(flag, "web", chat_now)
            self.bus.publish(CheckoutFlagged(link.session_id, payload))

    async def flag_missing(self) -> int:
        """For sessions ended longer ago than the wait: a flag for everyone who was there
        (the assistant's roster and Jitsi's webhook record) and has not checked out."""
        now = self.clock.now()
        wait = timedelta(minutes=self.settings.checkout_wait_minutes)
        raised = 0
        async with self.database.session() as db:
            query = select(MeetingSession).where(
                col(MeetingSession.ended_at) <= now - wait,
                col(MeetingSession.missing_checked_at).is_(None),
                col(MeetingSession.purged_at).is_(None),
            )
            for session in (await db.exec(query)).all():
                raised += await self._flag_missing_in(db, session)
                session.missing_checked_at = now
                db.add(session)
                await db.flush()
                # The check-out window is closed: one digest of the flags that are not
                # urgent (urgent ones went at once), in the same transaction.
                queued = await queue_digest(db, Alerts.of(self.settings), session, now)
                await db.commit()
                if queued:
                    self.bus.publish(AlertsQueued(session.id))
        return raised

    async def _flag_missing_in(self, db: AsyncSession, session: MeetingSession) -> int:
        now = self.clock.now()
        rows = (
            await db.exec(select(Participant).where(Participant.session_id == session.id))
        ).all()
        stays = await attendance_db.for_session(db, session, now)
        seen = [Seen(p.kind, p.display_name, p.id, p.joined_at, p.left_at) for p in rows]
        seen += [Seen(s.kind.value, s.name, None, s.joined_at, s.left_at) for s in stays]
        people = attendees(seen, leave_out=[self.settings.bot_display_name])
        done_ids = await checkout_links.checked_out_participants(db, session.id)
        absent = missing(people, done_ids)
        for person in absent:
            db.add(flags.missing_flag(session.id, person, now))
        return len(absent)

    async def purge_old(self) -> int:
        """The retention job: sessions past the period keep only their counts."""
        async with self.database.session() as db:
            return await retention.purge(
                db, self.clock.now(), timedelta(days=self.settings.retention_days)
            )
