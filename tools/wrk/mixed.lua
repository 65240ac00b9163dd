-- wrk script for tools/soak: a mix of durable commands (POST /v1/persons, each a new person) and reads —
-- current rankings, traces and as-of rankings at a random earlier event — in the proportions a busy
-- bureau sees (1 write in WRITE_EVERY requests).
--   wrk -s mixed.lua http://127.0.0.1:PORT -- TOKEN UNIT PERIOD RUN_TAG HEAD WRITE_EVERY [AS_OF_FROM]
-- As-of reads pick an event from AS_OF_FROM (default 1: the first event) to HEAD.

local next_thread = 1

function setup(thread)
  thread:set("thread_number", next_thread)
  next_thread = next_thread + 1
end

local headers, json_headers, unit, period, run_tag, head, write_every, as_of_from
local sent = 0

function init(args)
  headers = { ["Authorization"] = "Bearer " .. args[1] }
  json_headers = { ["Authorization"] = "Bearer " .. args[1], ["Content-Type"] = "application/json" }
  unit, period, run_tag = args[2], args[3], args[4]
  head = tonumber(args[5])
  write_every = tonumber(args[6])
  as_of_from = tonumber(args[7]) or 1
  math.randomseed(thread_number * 7919)
end

function request()
  sent = sent + 1
  if sent % write_every == 0 then
    local body = string.format(
      '{"person":"%s-T%d-%d","name":"soak person %d","unit":"%s"}', run_tag, thread_number, sent, sent, unit)
    return wrk.format("POST", "/v1/persons", json_headers, body)
  end
  local kind = sent % 3
  if kind == 0 then
    return wrk.format("GET", "/v1/rankings?unit=" .. unit .. "&period=" .. period, headers)
  elseif kind == 1 then
    return wrk.format("GET", "/v1/traces?unit=" .. unit .. "&period=" .. period, headers)
  end
  local as_of = math.random(as_of_from, head)
  return wrk.format("GET", "/v1/rankings?unit=" .. unit .. "&period=" .. period .. "&as_of=" .. as_of, headers)
end
