-- STAND-IN for Jitsi's breakout rooms module (jitsi/jitsi-meet,
-- resources/prosody-plugins/mod_muc_breakout_rooms.lua), written for these tests from
-- reading that public source; none of its code is copied. The breakout rooms are real
-- Prosody MUC rooms on this component; what clients can see is what the real module does:
--
--  * Requests are messages to this component's address with a <breakout_rooms
--    type="features/breakout-rooms/add|remove|rename|move-to-room"> child. The main room is
--    found from the `room` (and `prefix`) of the sender's WebSocket URL, as mod_jitsi_session
--    records it; the sender must be an occupant of it or of one of its breakout rooms, and a
--    moderator there. Otherwise, and for an unknown type or a move to a room that is not
--    one of them, the handler says "not handled" and Prosody answers service-unavailable.
--    A message of type error is left alone.
--  * add: a room <uuid>@<this component> named by `subject`; the main room's counter goes
--    up, it becomes persistent, and breakout rooms count as active from then on (never
--    reset). remove: the breakout room is destroyed (its occupants get the destroy
--    presence, pointing at the main room). rename: the name, and the room's subject.
--    remove and rename of a JID that is not a breakout room of this main room do nothing,
--    and say nothing.
--  * move-to-room sends the person only {"type":"breakout_rooms",
--    "event":"features/breakout-rooms/move-to-room","roomJid":...}, from this component to
--    `participantJid` as given. The module moves nobody: the client leaves its room and
--    joins the other itself (asking Jicofo first). The next update shows where it is.
--  * features/breakout-rooms/update goes out at most every 0.3 s: the first trigger arms a
--    timer and the list is made when it fires. Triggers: add, remove, rename, and any
--    non-Jicofo occupant joining or leaving the main room or a breakout room, once breakout
--    rooms are active. The list: every room by JID node, the main room with isMainRoom and
--    the room subject as name (absent when there is none), each with `participants` keyed
--    by occupant JID holding {jid (real JID), role, displayName (absent without a nick)};
--    `{}` when empty. roomCounter counts rooms ever added. It goes to every occupant of the
--    main room and of each breakout room, except Jicofo (JID node "focus").
--  * A breakout room can only be created if a main room lists it; any other is destroyed
--    at once. Affiliations in a breakout room are those in the main room. A join taking a
--    nickname that another connection holds in the main room or a sibling breakout room is
--    refused with conflict; a join to a room whose main room is gone, with
--    service-unavailable.
--  * When nobody (but Jicofo) is left in any of the rooms for 5 s, the main room is
--    destroyed, and destroying a main room destroys its breakout rooms.
--
-- Left out: health-check rooms, the disco identity and rename feature on the VirtualHost,
-- the muc#roominfo fields, the lobby link, and the "switch_room" bookkeeping, which hangs on
-- muc-occupant-pre-leave and muc-occupant-pre-change: Prosody 0.12 has neither event, so the
-- real module cannot do it on this Prosody either. Tenants ("[prefix]room") are looked up
-- the same way, but these tests keep tenant rooms on a MUC of their own, so none is found.
-- For the tests, each request that passes the moderator check is logged at info as
-- "breakout request <json of its attributes>".
--
-- Loaded on the breakout MUC component, with main_muc set to the main MUC's address.
local json = require "util.json";
local st = require "util.stanza";
local jid_lib = require "util.jid";
local formdecode = require "util.http".formdecode;
local new_uuid = require "util.uuid".generate;

local muc = module:depends("muc");
local main_muc_host = module:get_option_string("main_muc");
local main_muc;

local JITMEET = "http://jitsi.org/jitmeet";
local NICK = "http://jabber.org/protocol/nick";
local KIND = "breakout_rooms";
local ADD = "features/breakout-rooms/add";
local REMOVE = "features/breakout-rooms/remove";
local RENAME = "features/breakout-rooms/rename";
local MOVE = "features/breakout-rooms/move-to-room";
local UPDATE = "features/breakout-rooms/update";
local UPDATE_EVERY = 0.3;
local CLOSE_AFTER = 5;

local main_of = {}; -- breakout room JID -> its main room's JID

local function is_focus(occupant)
	return jid_lib.node(occupant.jid) == "focus";
end

local function main_room_of(room_jid)
	if jid_lib.host(room_jid) == main_muc_host then
		return main_muc.get_room_from_jid(room_jid), room_jid;
	end
	local main_jid = main_of[room_jid];
	if main_jid == nil then return nil, nil; end
	return main_muc.get_room_from_jid(main_jid), main_jid;
end

local function breakout_rooms_of(main)
	local found = {};
	for room_jid in pairs(main._data.breakout_rooms or {}) do
		local room = muc.get_room_from_jid(room_jid);
		if room then found[#found + 1] = room; end
	end
	return found;
end

local function send_json(to, text)
	module:send(st.message({ from = module.host; to = to })
		:tag("json-message", { xmlns = JITMEET }):text(text):up());
end

local function people_in(room)
	local people = {};
	if not room then return people; end
	for nick, occupant in room:each_occupant() do
		if not is_focus(occupant) then
			local presence = occupant:get_presence();
			people[nick] = {
				jid = occupant.jid;
				role = occupant.role;
				displayName = presence and presence:get_child_text("nick", NICK) or nil;
			};
		end
	end
	return people;
end

local function broadcast(room_jid)
	local main = main_room_of(room_jid);
	if not main or main.standin_update_timer then return; end
	main.standin_update_timer = module:add_timer(UPDATE_EVERY, function ()
		local room, main_jid = main_room_of(room_jid);
		if not room then return; end
		room.standin_update_timer = nil;
		local node = jid_lib.node(main_jid);
		local rooms = {
			[node] = {
				isMainRoom = true; id = node; jid = main_jid;
				name = room._data.subject; participants = people_in(room);
			};
		};
		for breakout_jid, name in pairs(room._data.breakout_rooms or {}) do
			local breakout_node = jid_lib.node(breakout_jid);
			rooms[breakout_node] = {
				id = breakout_node; jid = breakout_jid; name = name;
				participants = people_in(muc.get_room_from_jid(breakout_jid));
			};
		end
		local text = json.encode({
			type = KIND; event = UPDATE;
			roomCounter = room._data.breakout_rooms_counter; rooms = rooms;
		});
		local everyone = { room };
		for _, breakout in ipairs(breakout_rooms_of(room)) do everyone[#everyone + 1] = breakout; end
		for _, each in ipairs(everyone) do
			for _, occupant in each:each_occupant() do
				if not is_focus(occupant) then send_json(occupant.jid, text); end
			end
		end
	end);
end

local function add_room(main, name)
	local room_jid = new_uuid() .. "@" .. module.host;
	if not main._data.breakout_rooms then
		main._data.breakout_rooms = {};
		main._data.breakout_rooms_counter = 0;
	end
	main._data.breakout_rooms_counter = main._data.breakout_rooms_counter + 1;
	main._data.breakout_rooms[room_jid] = name;
	main._data.breakout_rooms_active = true;
	main:set_persistent(true);
	main:save(true);
	main_of[room_jid] = main.jid;
	broadcast(main.jid);
end

local function remove_room(main, room_jid, reason)
	local listed, main_jid = main_room_of(room_jid);
	if room_jid == main_jid or listed ~= main then return; end
	local room = muc.get_room_from_jid(room_jid);
	if room then room:destroy(main_jid, reason or "Breakout room removed."); end
	if main._data.breakout_rooms then main._data.breakout_rooms[room_jid] = nil; end
	main:save(true);
	main_of[room_jid] = nil;
	broadcast(main_jid);
end

local function rename_room(main, room_jid, name)
	local listed, main_jid = main_room_of(room_jid);
	if room_jid == main_jid or listed ~= main then return; end
	if main._data.breakout_rooms then
		main._data.breakout_rooms[room_jid] = name;
		local room = muc.get_room_from_jid(room_jid);
		if room then room:set_subject(room.jid, name); end
	end
	main:save(true);
	broadcast(main_jid);
end

local function requester(main, real_jid)
	local occupant = main:get_occupant_by_real_jid(real_jid);
	if occupant then return occupant; end
	for _, room in ipairs(breakout_rooms_of(main)) do
		occupant = room:get_occupant_by_real_jid(real_jid);
		if occupant then return occupant; end
	end
end

module:hook("message/host", function (event)
	local origin, stanza = event.origin, event.stanza;
	if stanza.attr.type == "error" then return; end
	if not origin or not origin.jitsi_web_query_room then return false; end
	local request = stanza:get_child(KIND);
	if not request then return false; end
	local name = origin.jitsi_web_query_room;
	local prefix = origin.jitsi_web_query_prefix or "";
	if prefix ~= "" then name = "[" .. prefix .. "]" .. name; end
	local main = main_muc.get_room_from_jid(jid_lib.join(name, main_muc_host));
	if not main then
		module:log("warn", "No room found for %s/%s", prefix, origin.jitsi_web_query_room);
		return false;
	end
	local occupant = requester(main, stanza.attr.from);
	if not occupant then
		module:log("warn", "No occupant %s found for %s", stanza.attr.from, main.jid);
		return false;
	end
	if occupant.role ~= "moderator" then
		module:log("warn", "Occupant %s is not moderator in %s", stanza.attr.from, main.jid);
		return false;
	end
	local attrs = request.attr;
	module:log("info", "breakout request %s", json.encode(attrs));
	if attrs.type == ADD then
		add_room(main, attrs.subject);
		return true;
	elseif attrs.type == REMOVE then
		remove_room(main, attrs.breakoutRoomJid);
		return true;
	elseif attrs.type == RENAME then
		rename_room(main, attrs.breakoutRoomJid, attrs.subject);
		return true;
	elseif attrs.type == MOVE then
		local target = attrs.roomJid;
		local listed = main._data.breakout_rooms;
		if not listed or not (listed[target] or target == main.jid) then
			module:log("warn", "Invalid breakout room %s for %s", tostring(target), main.jid);
			return false;
		end
		send_json(attrs.participantJid, json.encode({ type = KIND; event = MOVE; roomJid = target }));
		return true;
	end
	return false;
end);

local function occupants_anywhere(main)
	for _, occupant in main:each_occupant() do
		if not is_focus(occupant) then return true; end
	end
	for _, room in ipairs(breakout_rooms_of(main)) do
		for _, occupant in room:each_occupant() do
			if not is_focus(occupant) then return true; end
		end
	end
	return false;
end

local function on_joined(event)
	local main, main_jid = main_room_of(event.room.jid);
	if not main or not main._data.breakout_rooms_active then return; end
	if not is_focus(event.occupant) then broadcast(main_jid); end
	if main.standin_close_timer then
		main.standin_close_timer:stop();
		main.standin_close_timer = nil;
	end
end

local function on_left(event)
	local main, main_jid = main_room_of(event.room.jid);
	if not main or not main._data.breakout_rooms_active then return; end
	if not is_focus(event.occupant) then broadcast(main_jid); end
	if not main.standin_close_timer and not occupants_anywhere(main) then
		main.standin_close_timer = module:add_timer(CLOSE_AFTER, function ()
			local again = main_room_of(main_jid);
			if again and again.standin_close_timer then again:destroy(nil, "All occupants left."); end
		end);
	end
end

local function holder_elsewhere(room, nick, bare_jid, stanza, origin)
	local holder = room:get_occupant_by_nick(room.jid .. "/" .. nick);
	if holder ~= nil and holder.bare_jid ~= bare_jid then
		origin.send(st.error_reply(stanza, "cancel", "conflict", nil, room.jid));
		return true;
	end
end

local function on_pre_join(event)
	local room, stanza, origin = event.room, event.stanza, event.origin;
	local main = main_room_of(room.jid);
	if not main then
		origin.send(st.error_reply(stanza, "cancel", "service-unavailable"));
		return true;
	end
	local nick = jid_lib.resource(stanza.attr.to);
	local bare_jid = jid_lib.bare(stanza.attr.from);
	if main ~= room and holder_elsewhere(main, nick, bare_jid, stanza, origin) then return true; end
	for _, breakout in ipairs(breakout_rooms_of(main)) do
		if breakout ~= room and holder_elsewhere(breakout, nick, bare_jid, stanza, origin) then
			return true;
		end
	end
end

module:hook("muc-room-pre-create", function (event)
	local room = event.room;
	local main, main_jid = main_room_of(room.jid);
	if main and main._data.breakout_rooms and main._data.breakout_rooms[room.jid] then
		room:set_subject(room.jid, main._data.breakout_rooms[room.jid]);
		return;
	end
	room:destroy(main_jid, "Breakout room is invalid.");
	return true;
end);

module:hook("muc-occupant-joined", on_joined);
module:hook("muc-occupant-left", on_left);
module:hook("muc-occupant-pre-join", on_pre_join);

-- A breakout room's affiliations are the main room's.
local room_mt = muc.room_mt;
function room_mt:get_affiliation(jid)
	local main = main_room_of(self.jid);
	if not main then return "none"; end
	return main:get_affiliation(jid) or "none";
end

-- mod_jitsi_session: the room named in the WebSocket URL stays with the session
-- (mod_websocket is a global module here, so the event is global).
module:hook_global("websocket-session", function (event)
	local query = event.request.url.query;
	if query == nil then return; end
	local params = formdecode(query);
	event.session.jitsi_web_query_room = params.room;
	event.session.jitsi_web_query_prefix = params.prefix or "";
end);

-- The main MUC, once every host is up.
module:hook_global("server-started", function ()
	main_muc = prosody.hosts[main_muc_host].modules.muc;
	local main_host = module:context(main_muc_host);
	main_host:hook("muc-occupant-joined", on_joined);
	main_host:hook("muc-occupant-left", on_left);
	main_host:hook("muc-occupant-pre-join", on_pre_join);
	main_host:hook("muc-room-destroyed", function (event)
		local main = event.room;
		for room_jid in pairs(main._data.breakout_rooms or {}) do
			remove_room(main, room_jid, event.reason);
		end
	end, 1);
end);
