-- STAND-IN for how a Jitsi deployment with the polls component advertises it, written for
-- these tests from jitsi/jitsi-meet resources/prosody-plugins: mod_polls_component.lua
-- fires 'jitsi-add-identity' { name = 'polls', host = <its address> } on the main
-- VirtualHost, and mod_features_identity.lua turns that into a disco#info identity there
-- (category "component", type "polls", name = the address). lib-jitsi-meet's xmpp.ts asks
-- the domain's disco#info once connected and takes the polls address from that identity.
-- Load it on the VirtualHost with polls_component set to the component's address.
local polls_component = module:get_option_string("polls_component");
if polls_component then
	module:add_identity("component", "polls", polls_component);
end
