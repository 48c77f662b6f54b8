-- STAND-IN for jitsi-contrib's event_sync_component, written for these tests from its
-- public README: the same URLs, headers and JSON payloads, posted by Prosody itself on
-- real MUC events. Load it on a MUC component with api_prefix and api_headers set.
local http = require "net.http";
local json = require "util.json";

local api_prefix = module:get_option_string("api_prefix");
local headers = {
	["User-Agent"] = "Prosody (" .. prosody.version .. "; " .. prosody.platform .. ")";
	["Content-Type"] = "application/json";
};
for key, value in pairs(module:get_option("api_headers", {})) do
	headers[key] = value;
end

local function post(path, payload)
	http.request(api_prefix .. path, {
		method = "POST"; headers = headers; body = json.encode(payload);
	}, function (_, code)
		module:log("info", "POST %s answered %s", path, tostring(code));
	end);
end

local function room_fields(room, name)
	local node = room.jid:match("^([^@]+)");
	return {
		event_name = name; room_name = node; room_jid = room.jid; is_breakout = false;
	};
end

local function occupant_record(room, occupant)
	local presence = occupant:get_presence();
	local nick = presence and presence:get_child_text("nick", "http://jabber.org/protocol/nick");
	local seen = room._data.event_sync_seen or {};
	room._data.event_sync_seen = seen;
	local key = occupant.jid;
	local record = seen[key];
	if not record then
		record = { occupant_jid = key; joined_at = os.time(); name = nick };
		seen[key] = record;
	end
	return record;
end

module:hook("muc-room-created", function (event)
	local payload = room_fields(event.room, "muc-room-created");
	payload.created_at = os.time();
	event.room._data.event_sync_created = payload.created_at;
	post("/events/room/created", payload);
end);

module:hook("muc-occupant-joined", function (event)
	local payload = room_fields(event.room, "muc-occupant-joined");
	payload.occupant = occupant_record(event.room, event.occupant);
	post("/events/occupant/joined", payload);
end);

module:hook("muc-occupant-left", function (event)
	local payload = room_fields(event.room, "muc-occupant-left");
	local record = occupant_record(event.room, event.occupant);
	record.left_at = os.time();
	payload.occupant = record;
	post("/events/occupant/left", payload);
end);

module:hook("muc-room-destroyed", function (event)
	local payload = room_fields(event.room, "muc-room-destroyed");
	payload.created_at = event.room._data.event_sync_created;
	payload.destroyed_at = os.time();
	local everyone = {};
	for _, record in pairs(event.room._data.event_sync_seen or {}) do
		table.insert(everyone, record);
	end
	payload.all_occupants = everyone;
	post("/events/room/destroyed", payload);
end);
