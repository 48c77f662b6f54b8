-- STAND-IN for Jitsi's in-room polls, as deployments before the polls component run them
-- (docker-jitsi-meet before stable-10532: "muc_meeting_id" and "polls" in the MUC
-- component's modules_enabled). Written for these tests from the public sources in
-- jitsi/jitsi-meet resources/prosody-plugins, reproducing what can be seen from outside:
--
-- mod_muc_meeting_id.lua (message/bare): a groupchat message without a body from an
--   occupant, carrying a json-message (http://jitsi.org/jitmeet), is decoded once; JSON
--   that does not decode is dropped without a reply; transcriptions with
--   "is_interim":true are left alone.
-- mod_polls.lua (its 'jitsi-endpoint-message-received' version, the last before the
--   component): for "new-poll" and "answer-poll" only,
--   * a payload of 1024 bytes or more is logged as "discarding" but, as the handler
--     returns nil, still reaches the room (not recorded);
--   * new-poll: one without a pollId fails and is dropped; a pollId the room already has is refused with a not-allowed error
--     ("Poll already exists") and dropped; past 128 polls it is logged, not recorded, and
--     still relayed; otherwise it is recorded with the sender's nick and display name;
--   * answer-poll for a poll the room does not know is logged and relayed;
--   * "answers" that is not a list, or a vote for an answer the poll lacks, makes the real
--     handler fail on a nil value, so Prosody drops the stanza without a reply;
--   * everything else reaches the room, which sends it to every occupant, sender included;
--   * a newcomer gets {"type":"old-polls","polls":[...]} from the room's bare JID.
-- The room-metadata permission check (pollCreationRestricted) needs Jitsi's room metadata
-- component and is left out. It is test code, not Jitsi's.
local json = require "util.json";
local st = require "util.stanza";
local jid_split = require "util.jid".split;

local muc = module:depends("muc");

local JITMEET = "http://jitsi.org/jitmeet";
local NICK = "http://jabber.org/protocol/nick";
local POLLS_LIMIT = 128;
local POLL_PAYLOAD_LIMIT = 1024;

module:hook("muc-room-created", function (event)
	event.room.polls = { by_id = {}; order = {}; count = 0 };
end);

local function occupant_details(occupant)
	local presence = occupant:get_presence();
	local name = presence and presence:get_child_text("nick", NICK) or "Fellow Jitster";
	local _, _, id = jid_split(occupant.nick);
	if not id then return nil; end
	return { id = id; name = name };
end

local function new_poll(room, occupant, origin, stanza, data)
	local creator = occupant_details(occupant);
	if not creator then return nil; end
	if data.pollId == nil then
		module:log("error", "new-poll without a pollId: dropped");
		return true;
	end
	if room.polls.count >= POLLS_LIMIT then
		module:log("error", "Too many polls created in %s", room.jid);
		return nil;
	end
	if room.polls.by_id[data.pollId] ~= nil then
		module:log("error", "Poll already exists: %s", tostring(data.pollId));
		origin.send(st.error_reply(stanza, "cancel", "not-allowed", "Poll already exists"));
		return true;
	end
	if type(data.answers) ~= "table" then
		module:log("error", "new-poll without a list of answers: dropped");
		return true;
	end
	local answers = {};
	for _, name in ipairs(data.answers) do
		table.insert(answers, { name = name; voters = {} });
	end
	local poll = {
		id = data.pollId; sender_id = creator.id; sender_name = creator.name;
		question = data.question; answers = answers;
	};
	room.polls.by_id[data.pollId] = poll;
	table.insert(room.polls.order, poll);
	room.polls.count = room.polls.count + 1;
	return nil;
end

local function answer_poll(room, occupant, data)
	local poll = room.polls.by_id[data.pollId];
	if poll == nil then
		module:log("warn", "answering inexistent poll");
		return nil;
	end
	local voter = occupant_details(occupant);
	if not voter then return nil; end
	if type(data.answers) ~= "table" then
		module:log("error", "answer-poll without a list of answers: dropped");
		return true;
	end
	for index in ipairs(data.answers) do
		if poll.answers[index] == nil then
			module:log("error", "vote for answer %d the poll lacks: dropped", index);
			return true;
		end
	end
	for index, flag in ipairs(data.answers) do
		poll.answers[index].voters[voter.id] = flag and voter.name or nil;
	end
	return nil;
end

module:hook("message/bare", function (event)
	local origin, stanza = event.origin, event.stanza;
	if stanza.attr.type ~= "groupchat" or stanza:get_child("body") then return; end
	local room = muc.get_room_from_jid(stanza.attr.to);
	if not room or not room.polls then return; end
	local occupant = room:get_occupant_by_real_jid(stanza.attr.from);
	if not occupant then return; end
	local raw = stanza:get_child_text("json-message", JITMEET);
	if not raw then return; end
	if string.find(raw, '"is_interim":true', 1, true) then return; end
	local data = json.decode(raw);
	if type(data) ~= "table" then
		module:log("error", "Error decoding data Sender: %s", stanza.attr.from);
		return true;
	end
	if data.type ~= "new-poll" and data.type ~= "answer-poll" then return; end
	if string.len(raw) >= POLL_PAYLOAD_LIMIT then
		module:log("error", "Poll payload too large, discarding. Sender: %s", stanza.attr.from);
		return nil;
	end
	if data.type == "new-poll" then
		return new_poll(room, occupant, origin, stanza, data);
	end
	return answer_poll(room, occupant, data);
end);

module:hook("muc-occupant-joined", function (event)
	local room = event.room;
	if not room.polls or #room.polls.order == 0 then return; end
	local polls = {};
	for i, poll in ipairs(room.polls.order) do
		polls[i] = {
			id = poll.id; senderId = poll.sender_id; senderName = poll.sender_name;
			question = poll.question; answers = poll.answers;
		};
	end
	room:route_stanza(st.message({ from = room.jid; to = event.occupant.jid })
		:tag("json-message", { xmlns = JITMEET })
		:text(json.encode({ type = "old-polls"; polls = polls })):up());
end);
