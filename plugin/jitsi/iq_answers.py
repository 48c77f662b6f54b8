"""What the bot answers when the server or another client asks it something (an IQ get or
set): it declines Jingle media sessions, answers pings and disco#info, and refuses the rest.
"""

from __future__ import annotations

from collections.abc import Callable

from plugin.jitsi import stanzas
from plugin.jitsi.stanzas import Iq

DISCO_FEATURES = (stanzas.DISCO_INFO, stanzas.PING, stanzas.MUC, stanzas.NICK)


def answer(request: Iq, next_id: Callable[[], str]) -> list[str]:
    """The replies to send, in order (none to results and errors). `next_id` names a new
    request of ours, such as the Jingle decline."""
    if request.kind not in ("get", "set"):
        return []
    to = str(request.sender or "")
    tag = request.child_tag
    if tag == stanzas.q(stanzas.JINGLE, "jingle"):
        # Acknowledge, then decline: the assistant has no audio or video.
        replies = [stanzas.iq("result", request.iq_id, to=to)]
        decline = stanzas.jingle_decline(request, next_id())
        return replies + ([decline] if decline else [])
    if tag == stanzas.q(stanzas.PING, "ping"):
        return [stanzas.iq("result", request.iq_id, to=to)]
    if tag == stanzas.q(stanzas.DISCO_INFO, "query") and request.kind == "get":
        return [stanzas.iq("result", request.iq_id, to, stanzas.disco_info_result(DISCO_FEATURES))]
    return [stanzas.error_reply(request, "service-unavailable")]
