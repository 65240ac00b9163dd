-- wrk script for tools/bench's `http_ranking_reads`: each request is GET /v1/rankings for a random
-- unit and period, drawn from the lists tools/bench passes after the URL:
--   wrk -s rankings.lua http://127.0.0.1:PORT -- TOKEN UNIT,UNIT,... PERIOD,PERIOD,...
-- The requests are formatted once in `init`, so the load generator spends its time on the wire.

local next_thread = 1

function setup(thread)
  thread:set("thread_number", next_thread)
  next_thread = next_thread + 1
end

local requests = {}

function init(args)
  local token, units, periods = args[1], args[2], args[3]
  local headers = { ["Authorization"] = "Bearer " .. token }
  for unit in string.gmatch(units, "[^,]+") do
    for period in string.gmatch(periods, "[^,]+") do
      local path = "/v1/rankings?unit=" .. unit .. "&period=" .. period
      requests[#requests + 1] = wrk.format("GET", path, headers)
    end
  end
  math.randomseed(thread_number)
end

function request()
  return requests[math.random(#requests)]
end
