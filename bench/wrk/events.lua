-- wrk script: POST /v1/events, each a new interaction of a user from $KGR_BENCH_USERS with an
-- item from $KGR_BENCH_ITEMS; each connection waits $KGR_BENCH_EVENT_DELAY ms (default 15)
-- after every reply, so 2 connections give about 100 events/s when an fsync takes ~5 ms.
local function read(path, out)
  if path then
    for line in io.lines(path) do
      if #line > 0 then out[#out + 1] = line end
    end
  end
  return out
end
local users = read(os.getenv("KGR_BENCH_USERS"), {})
local items = read(os.getenv("KGR_BENCH_ITEMS"), {})
local token = os.getenv("KGR_BENCH_TOKEN")
local n = 0

local pause = tonumber(os.getenv("KGR_BENCH_EVENT_DELAY") or "15")
delay = function()
  return pause
end

request = function()
  n = n + 1
  local headers = { ["Content-Type"] = "application/json" }
  if token then headers["Authorization"] = "Bearer " .. token end
  local body = string.format('{"user":"%s","item":"%s","action":"view","time":%d}',
    users[n % #users + 1], items[(n * 7) % #items + 1], 1800000000 + n)
  return wrk.format("POST", "/v1/events", headers, body)
end

local errors = 0
response = function(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
    if errors <= 3 then io.stderr:write("events: HTTP " .. status .. " " .. body .. "\n") end
  end
end
