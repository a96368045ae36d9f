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

-- With IN_ORDER set (the warm-up), thread k of $THREADS quotes the
-- instances k+1, k+1+THREADS, k+1+2*THREADS, ... once each and then stops,
-- so that together the threads quote every instance exactly once.
local in_order = os.getenv("IN_ORDER") ~= nil
local threads = tonumber(os.getenv("THREADS") or "2")
local setups = 0
local sent = 0
local answered = 0
local share = nil

setup = function(thread)
  thread:set("first", setups)
  setups = setups + 1
end

init = function()
  -- How many of the indexes first+1, first+1+threads, ... are in range.
  share = math.floor((#requests - first - 1) / threads) + 1
end

request = function()
  if in_order then
    local index = first + 1 + sent * threads
    sent = sent + 1
    return requests[(index - 1) % #requests + 1]
  end
  return requests[math.random(#requests)]
end

if in_order then
  response = function()
    answered = answered + 1
    if answered >= share then
      wrk.thread:stop()
    end
  end
end

-- No `response` function when measuring: wrk would hand every response's
-- headers and body to Lua, a cost per request the /healthz run does not pay. wrk counts
-- non-2xx answers itself ("Non-2xx or 3xx responses"), which
-- bench_api.py reads.

done = function(summary, latency)
  io.write(string.format("quotes: %d requests, %d errors, p50 %.2f ms, p99 %.2f ms\n",
    summary.requests, summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
