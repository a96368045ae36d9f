-- wrk script: POST /api/v1/quotes for instance ids read from $INSTANCES
-- (one per line), picked at random, with the key in $API_KEY.
local ids = {}
local path = os.getenv("INSTANCES")
for line in io.lines(path) do
  ids[#ids + 1] = line
end
local key = os.getenv("API_KEY")

request = function()
  local id = ids[math.random(#ids)]
  local body = '{"instance_id":"' .. id .. '"}'
  local headers = { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }
  return wrk.format("POST", "/api/v1/quotes", headers, body)
end

local non_2xx = 0
response = function(status)
  if status ~= 200 then
    non_2xx = non_2xx + 1
  end
end

done = function(summary, latency)
  io.write(string.format("quotes: %d requests, %d errors, p50 %.2f ms, p99 %.2f ms\n",
    summary.requests, summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
