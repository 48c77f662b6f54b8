-- wrk script: event_sync occupant/joined deliveries, each for a different occupant, so
-- every request is a new event that must be committed before its 200.
local counter = 0
local token = os.getenv("BENCH_TOKEN") or "none"
-- Each wrk thread has its own Lua state; a table's address tells them apart.
local thread_id = tostring({}):match("0x(%x+)") or "0"

request = function()
	counter = counter + 1
	local body = string.format(
		'{"event_name":"muc-occupant-joined","room_name":"bench","room_jid":"bench@muc.meet.jitsi",' ..
		'"is_breakout":false,"active_occupants_count":1,"occupant":{"occupant_jid":' ..
		'"%s-%d@meet.jitsi/r","joined_at":1790000000,"name":"Person %d"}}',
		thread_id, counter, counter)
	return wrk.format("POST", "/webhooks/prosody/events/occupant/joined", {
		["Content-Type"] = "application/json",
		["Authorization"] = "Bearer " .. token,
	}, body)
end
