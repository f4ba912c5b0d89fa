-- wrk script: POST /v1/recommend for users read from $KGR_BENCH_USERS (one per line),
-- round robin, with explanations, graph ranker. The token (if any) from $KGR_BENCH_TOKEN.
local users = {}
local path = os.getenv("KGR_BENCH_USERS")
if path then
  for line in io.lines(path) do
    if #line > 0 then users[#users + 1] = line end
  end
end
if #users == 0 then users = { "anonymous" } end
local k = os.getenv("KGR_BENCH_K") or "10"
-- with a server started with --llm: the per-request LLM deadline in milliseconds
local deadline = os.getenv("KGR_BENCH_LLM_DEADLINE")
local llm = deadline and string.format(',"llm":{"deadline_ms":%s}', deadline) or ""
local token = os.getenv("KGR_BENCH_TOKEN")
local i = 0

function setup(thread)
  thread:set("offset", math.random(1, #users))
end

request = function()
  i = i + 1
  local u = users[((offset or 0) + i) % #users + 1]
  local headers = { ["Content-Type"] = "application/json" }
  if token then headers["Authorization"] = "Bearer " .. token end
  local body = string.format('{"user":"%s","k":%s,"explain":true%s}', u, k, llm)
  return wrk.format("POST", "/v1/recommend", headers, body)
end

local errors = 0
response = function(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
    if errors <= 3 then io.stderr:write("recommend: HTTP " .. status .. " " .. body .. "\n") end
  end
end
