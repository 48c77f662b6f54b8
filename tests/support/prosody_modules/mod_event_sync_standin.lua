-- STAND-IN for jitsi-contrib's event_sync component (github.com/jitsi-contrib/prosody-plugins,
-- event_sync/mod_event_sync_component.lua and its README), written for these tests from
-- reading that public source; none of its code is copied. It posts what a real deployment
-- posts, from Prosody itself on real MUC events, including what the module leaves out:
--
--  * The room's creator is never tracked. Prosody 0.12 fires the first occupant's
--    muc-occupant-joined before muc-room-created, and the module only tracks rooms it has
--    seen created: no join is posted for the creator, its leave is posted with no
--    `occupant` (and is not counted), and it is missing from `all_occupants`.
--  * `all_occupants` with nobody in it is `{}`: util.json writes an empty table as an object.
--  * Names (with id and email) come only from a JWT login's session context
--    (`jitsi_meet_context_user`); an anonymous guest has none, so no name is sent.
--  * A connection that joins again gets a fresh record: `all_occupants` keeps only its
--    latest visit. Times are whole seconds (os.time()).
--  * Jicofo (JID node "focus") and Jicofo's health-check rooms are not reported.
--  * A post is retried only after a 5xx answer or a failed connection (code 0),
--    `api_retry_count` times (default 3), `api_retry_delay` seconds apart (default 1),
--    whatever `Retry-After` says; a post with no answer within `api_timeout` (default 20 s)
--    is dropped, not retried.
--
-- Loaded on the MUC component itself (the real one is a component that hooks the MUC host);
-- set api_prefix and api_headers there. Not modelled: breakout rooms (the real module reports
-- them with is_breakout = true, the breakout room's node as breakout_room_id, and the MAIN
-- room's room_name and room_jid), include_user_info, include_speaker_stats.
local http = require "net.http";
local json = require "util.json";
local timer = require "util.timer";

local api_prefix = module:get_option_string("api_prefix");
local retry_count = module:get_option_number("api_retry_count", 3);
local retry_delay = module:get_option_number("api_retry_delay", 1);
local timeout = module:get_option_number("api_timeout", 20);
local headers = {
	["User-Agent"] = "Prosody (" .. prosody.version .. "; " .. prosody.platform .. ")";
	["Content-Type"] = "application/json";
};
for key, value in pairs(module:get_option("api_headers", {})) do
	headers[key] = value;
end

-- What is known of each room, from its creation on: absent for a room not seen created.
local rooms = setmetatable({}, { __mode = "k" });

-- The body is encoded once: a retry sends the same bytes, even if the record changed since.
local function send(path, body, tries_left)
	local answered = false;
	local request = http.request(api_prefix .. path, {
		method = "POST"; headers = headers; body = body;
	}, function (_, code)
		if answered then return; end
		answered = true;
		module:log("info", "POST %s answered %s", path, tostring(code));
		if (code == 0 or code >= 500) and tries_left > 0 then
			timer.add_task(retry_delay, function ()
				send(path, body, tries_left - 1);
			end);
		end
	end);
	timer.add_task(timeout, function ()
		if not answered then
			answered = true;
			module:log("info", "POST %s timed out", path);
			http.destroy_request(request);
		end
	end);
end

local function post(path, payload)
	send(path, json.encode(payload), retry_count);
end

local function ignored(room, occupant)
	local node = room.jid:match("^([^@]+)") or "";
	if node:find("__jicofo-health-check", 1, true) == 1 then
		return true;
	end
	return occupant ~= nil and (occupant.bare_jid or ""):match("^([^@]+)@") == "focus";
end

local function payload_for(room, name)
	return {
		event_name = name;
		room_name = room.jid:match("^([^@]+)");
		room_jid = room.jid;
		is_breakout = false;
	};
end

local function count(set)
	local n = 0;
	for _ in pairs(set) do n = n + 1; end
	return n;
end

module:hook("muc-room-created", function (event)
	local room = event.room;
	if ignored(room) then return; end
	local known = { created_at = os.time(); records = {}; here = {} };
	rooms[room] = known;
	local payload = payload_for(room, "muc-room-created");
	payload.created_at = known.created_at;
	post("/events/room/created", payload);
end);

module:hook("muc-occupant-joined", function (event)
	local room, occupant = event.room, event.occupant;
	local known = rooms[room];
	if ignored(room, occupant) then return; end
	if not known then
		module:log("info", "no event data yet for %s: join of %s not posted", room.jid, occupant.jid);
		return;
	end
	local record = { occupant_jid = occupant.jid; joined_at = os.time() };
	local context = event.origin and event.origin.jitsi_meet_context_user;
	if context then
		record.name, record.id, record.email = context.name, context.id, context.email;
	end
	known.records[occupant.jid] = record;
	known.here[occupant.jid] = true;
	local payload = payload_for(room, "muc-occupant-joined");
	payload.occupant = record;
	payload.active_occupants_count = count(known.here);
	post("/events/occupant/joined", payload);
end);

module:hook("muc-occupant-left", function (event)
	local room, occupant = event.room, event.occupant;
	local known = rooms[room];
	if ignored(room, occupant) or not known then return; end
	known.here[occupant.jid] = nil;
	local record = known.records[occupant.jid]; -- nil for the room's creator
	if record then
		record.left_at = os.time();
	end
	local payload = payload_for(room, "muc-occupant-left");
	payload.occupant = record;
	payload.active_occupants_count = count(known.here);
	post("/events/occupant/left", payload);
end);

module:hook("muc-room-destroyed", function (event)
	local room = event.room;
	local known = rooms[room];
	if ignored(room) or not known then return; end
	local everyone = {};
	for _, record in pairs(known.records) do
		table.insert(everyone, record);
	end
	local payload = payload_for(room, "muc-room-destroyed");
	payload.created_at = known.created_at;
	payload.destroyed_at = os.time();
	payload.all_occupants = everyone;
	post("/events/room/destroyed", payload);
end);
