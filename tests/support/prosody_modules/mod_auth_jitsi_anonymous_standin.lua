-- STAND-IN for Jitsi's anonymous login (jitsi/jitsi-meet resources/prosody-plugins/
-- mod_auth_jitsi-anonymous.lua, which docker-jitsi-meet uses when logins are off), written
-- for these tests from its public behaviour: SASL ANONYMOUS, and the local part the server
-- gives each connection is a UUID (Prosody's own anonymous login gives a shorter base64url
-- id, whose first 8 characters may hold '-'). Jitsi Meet's clients take those first 8
-- characters as their nickname. Session resumption, the module's other extra, is left out.
local uuid = require "util.uuid".generate;
local new_sasl = require "util.sasl".new;
local sasl = require "util.sasl";

local provider = {};

function provider.test_password() return nil, "no passwords here"; end
function provider.get_password() return nil; end
function provider.set_password() return nil, "no passwords here"; end
function provider.user_exists() return nil; end
function provider.create_user() return nil; end
function provider.delete_user() return nil; end

function provider.get_sasl_handler()
	return new_sasl(module.host, {
		anonymous = function (self, username)
			self.username = username;
			return true;
		end;
	});
end

module:provides("auth", provider);

-- Like the real module, this replaces ANONYMOUS for the whole server.
sasl.registerMechanism("ANONYMOUS", { "anonymous" }, function (self)
	local username = uuid();
	if self.profile.anonymous(self, username, self.realm) then
		return "success";
	end
	return "failure", "not-authorized";
end);
