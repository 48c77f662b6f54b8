"""Phone endpoints, two dialects: TwiML providers and a PBX in front of Jigasi.

Thin: check the signature, parse, hand the call to the phone desk, render its reply.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from facilitation.phone import UNREACHABLE, BadDigits, Hangup, Reply
from plugin import keys
from plugin.desks.phone import PhoneDesk
from plugin.desks.phone_types import CallOver, UnknownCall
from plugin.i18n import catalogue
from plugin.security.standard_webhooks import decode_secret
from webhooks import pbx, twiml
from webhooks.body import Rejected, header_bytes, read_limited

routes = web.RouteTableDef()
TWIML = "/webhooks/phone/twiml"
MAX_FORM_BYTES = 16 * 1024
FAILED_DIALS = frozenset({"busy", "no-answer", "failed", "canceled"})
FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
VOICES = {"en": "en-GB", "cy": "cy-GB", "es": "es-ES", "fr": "fr-FR"}


def _translate(language: str, text: str) -> str:
    return catalogue(language).gettext(text)


def _desk(request: web.Request) -> PhoneDesk:
    return request.app[keys.PHONE]


def _refusal(exc: Exception) -> web.Response:
    if isinstance(exc, Rejected):
        return exc.response()
    if isinstance(exc, UnknownCall):
        return Rejected(404, str(exc), "call").response()
    if isinstance(exc, CallOver):
        return Rejected(409, str(exc), "call").response()
    assert isinstance(exc, BadDigits)
    return Rejected(400, f"digits: {exc}", "digits").response()


# --- TwiML dialect ---------------------------------------------------------------------


async def _twiml_request(request: web.Request) -> twiml.CallRequest:
    settings = request.app[keys.SETTINGS]
    if settings.twiml_auth_token is None:
        raise Rejected(401, "TwiML phone calls are not configured (FACILITATE_TWIML_AUTH_TOKEN)")
    raw = await read_limited(request, MAX_FORM_BYTES)
    params = twiml.parse_form(raw)
    # The provider signs the URL it called: this service's public address.
    url = settings.base_url + request.path_qs
    signature = request.headers.get("X-Twilio-Signature")
    twiml.verify(
        header_bytes(settings.twiml_auth_token.get_secret_value()),
        url,
        params,
        signature,
    )
    return twiml.call_request(params)


def _twiml_response(request: web.Request, reply: Reply | None) -> web.Response:
    settings = request.app[keys.SETTINGS]
    body = twiml.render(
        reply,
        translate=_translate,
        voice_language=lambda code: VOICES.get(code, code),
        gather_action=f"{settings.base_url}{TWIML}/gather",
        sip_uri=settings.jigasi_sip_uri or "sip:jigasi@invalid",
        room_header=settings.jigasi_room_header,
        dial_action=f"{settings.base_url}{TWIML}/dial-ended",
    )
    return web.Response(body=body, content_type="text/xml", charset="utf-8")


@routes.post(TWIML + "/incoming", name="twiml_incoming")
async def twiml_incoming(request: web.Request) -> web.StreamResponse:
    try:
        call = await _twiml_request(request)
        reply = await _desk(request).started("twiml", call.call_id, call.caller)
    except (Rejected, UnknownCall, CallOver, BadDigits) as exc:
        return _refusal(exc)
    return _twiml_response(request, reply)


@routes.post(TWIML + "/gather", name="twiml_gather")
async def twiml_gather(request: web.Request) -> web.StreamResponse:
    try:
        call = await _twiml_request(request)
        reply = await _desk(request).pressed("twiml", call.call_id, call.digits or "", call.caller)
    except (Rejected, UnknownCall, CallOver, BadDigits) as exc:
        return _refusal(exc)
    return _twiml_response(request, reply)


@routes.post(TWIML + "/dial-ended", name="twiml_dial_ended")
async def twiml_dial_ended(request: web.Request) -> web.StreamResponse:
    """The `Dial` action: the meeting leg is over. If the caller is still there, the keypad
    check-out; if the meeting could not be reached at all, say so and hang up."""
    desk = _desk(request)
    try:
        call = await _twiml_request(request)
        if call.dial_status in FAILED_DIALS:
            language = await desk.ended("twiml", call.call_id)
            return _twiml_response(request, Reply((UNREACHABLE,), Hangup(), language))
        reply: Reply | None = await desk.left_meeting("twiml", call.call_id)
    except (Rejected, UnknownCall, CallOver, BadDigits) as exc:
        return _refusal(exc)
    return _twiml_response(request, reply)


@routes.post(TWIML + "/rejoin", name="twiml_rejoin")
async def twiml_rejoin(request: web.Request) -> web.StreamResponse:
    """Where the provider fetches a call's TwiML after this service updated the live call
    (breakout groups held as separate calls): dial Jigasi with the call's room now."""
    try:
        call = await _twiml_request(request)
        reply = await _desk(request).rejoin("twiml", call.call_id)
    except (Rejected, UnknownCall, CallOver, BadDigits) as exc:
        return _refusal(exc)
    return _twiml_response(request, reply)


@routes.post(TWIML + "/status", name="twiml_status")
async def twiml_status(request: web.Request) -> web.StreamResponse:
    """The call's status callback: once it has finished, the call is over."""
    try:
        call = await _twiml_request(request)
        if call.call_status in FINAL_STATUSES:
            await _desk(request).ended("twiml", call.call_id)
    except (Rejected, UnknownCall, CallOver, BadDigits) as exc:
        return _refusal(exc)
    return _twiml_response(request, None)


# --- PBX dialect -----------------------------------------------------------------------


@routes.post("/webhooks/phone/events", name="pbx_events")
async def pbx_events(request: web.Request) -> web.StreamResponse:
    settings = request.app[keys.SETTINGS]
    desk = _desk(request)
    try:
        if not settings.pbx_webhook_secret:
            raise Rejected(
                401, "PBX phone events are not configured (FACILITATE_PBX_WEBHOOK_SECRET)"
            )
        raw = await read_limited(request, MAX_FORM_BYTES)
        secrets = [decode_secret(s.get_secret_value()) for s in settings.pbx_webhook_secret]
        now = request.app[keys.CLOCK].now()
        webhook_id = pbx.verify(
            secrets, request.headers, raw, now.timestamp(), settings.webhook_tolerance_seconds
        )
        event = pbx.parse(raw)
        if not await desk.first_delivery(webhook_id):
            raise Rejected(
                409, f"webhook-id {webhook_id} was already handled (a replay)", "webhook-id"
            )
        try:
            reply = await _dispatch(desk, event)
        except (Rejected, UnknownCall, CallOver, BadDigits):
            raise  # handled: refused for good, a retry would be refused the same way
        except BaseException:
            # Not handled after all (database trouble, say): a retry with the same id must
            # get through, not a 409.
            await desk.forget_delivery(webhook_id)
            raise
    except (Rejected, UnknownCall, CallOver, BadDigits) as exc:
        return _refusal(exc)
    body: dict[str, Any] = pbx.render(
        reply, translate=_translate, room_header=settings.jigasi_room_header
    )
    return web.Response(text=json.dumps(body), content_type="application/json")


async def _dispatch(desk: PhoneDesk, event: Any) -> Reply | None:
    kind = event.type
    if kind == "call.started":
        return await desk.started(
            "pbx",
            event.call_id,
            event.caller_id or "",
            pin=event.pin,
            room=event.room,
            language=event.language,
        )
    if kind == "dtmf":
        return await desk.pressed("pbx", event.call_id, event.digits)
    if kind == "call.left_meeting":
        return await desk.left_meeting("pbx", event.call_id)
    await desk.ended("pbx", event.call_id)
    return None
