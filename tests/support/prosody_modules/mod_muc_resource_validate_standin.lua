-- STAND-IN for Jitsi's mod_muc_resource_validate, written for these tests from the public
-- description and behaviour of jitsi/jitsi-meet resources/prosody-plugins/
-- mod_muc_resource_validate.lua (docker-jitsi-meet loads it on its MUC components):
--  * a join whose MUC nickname (the resource of the `to` address) is not one letter or digit
--    followed by letters, digits or underscores is refused: error type "cancel",
--    condition "not-allowed";
--  * with `anonymous_strict = true`, someone logged in on a host whose authentication is
--    anonymous (or jitsi-anonymous, or token) must use the first 8 characters of the local
--    part the server gave them, else the same refusal;
--  * a nickname change of an occupant already in the room is refused the same way;
--  * joins from an address without a local part (components) are not checked.
local split = require "util.jid".split;
local st = require "util.stanza";

local strict = module:get_option_boolean("anonymous_strict", false);
local anonymous_kinds = module:get_option_set("anonymous_auth_methods",
	{ "anonymous", "jitsi-anonymous", "token" });

local function valid(nick)
	return nick ~= nil and nick:match("^[%w][%w_]*$") ~= nil;
end

local function logs_in_anonymously(domain)
	local host = prosody.hosts[domain];
	return host ~= nil and host.users ~= nil and anonymous_kinds:contains(host.users.name);
end

local function refuse(event, text)
	event.origin.send(st.error_reply(event.stanza, "cancel", "not-allowed", text));
	return true;
end

module:hook("muc-occupant-pre-join", function (event)
	local user, domain = split(event.stanza.attr.from);
	if user == nil then
		return;
	end
	local _, _, nick = split(event.stanza.attr.to);
	if not valid(nick) then
		return refuse(event, "Invalid resource");
	end
	if strict and logs_in_anonymously(domain) and nick ~= user:sub(1, 8) then
		return refuse(event, "Invalid anonymous user ID");
	end
end, 11);

module:hook("muc-occupant-pre-change", function (event)
	local before = event.orig_occupant;
	if before == nil then
		return;
	end
	local _, _, old_nick = split(before.nick);
	local _, _, new_nick = split(event.stanza.attr.to);
	if old_nick ~= new_nick then
		return refuse(event, "Nick changes are not allowed");
	end
end, 11);
