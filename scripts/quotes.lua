-- wrk script: POST /api/v1/quotes for instance ids read from $INSTANCES
-- (one per line), picked at random, with the key in $API_KEY. The requests
-- are formatted once, before the run, so that the client spends no more per
-- request than it does on a static URL.
local requests = {}
local path = os.getenv("INSTANCES")
local key = os.getenv("API_KEY")
local headers = { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }
for id in io.lines(path) do
  requests[#requests + 1] = wrk.format("POST", "/api/v1/quotes", headers, '{"instance_id":"' .. id .. '"}')
end

-- With IN_ORDER set, each thread walks the instances in order from its own
-- starting point instead of picking at random: the warm-up uses it to quote
-- every instance once.
local in_order = os.getenv("IN_ORDER") ~= nil
local next_index = nil

setup = function(thread)
  thread:set("start", tostring(math.random(#requests)))
end

request = function()
  if in_order then
    next_index = (next_index or tonumber(start)) % #requests + 1
    return requests[next_index]
  end
  return requests[math.random(#requests)]
end

-- No `response` function: wrk would hand every response's headers and body
-- to Lua, a cost per request the /healthz run does not pay. wrk counts
-- non-2xx answers itself ("Non-2xx or 3xx responses"), which
-- bench_api.py reads.

done = function(summary, latency)
  io.write(string.format("quotes: %d requests, %d errors, p50 %.2f ms, p99 %.2f ms\n",
    summary.requests, summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
