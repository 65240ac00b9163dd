-- wrk script for tools/bench's `http_commands_64`: each request is POST /v1/persons, a RegisterPerson
-- command with a person id no other request uses (the run tag, the wrk thread, a counter), so every
-- request records one new durable event.
--   wrk -s register-person.lua http://127.0.0.1:PORT -- TOKEN UNIT RUN_TAG

local next_thread = 1

function setup(thread)
  thread:set("thread_number", next_thread)
  next_thread = next_thread + 1
end

local headers, unit, run_tag
local sent = 0

function init(args)
  headers = { ["Authorization"] = "Bearer " .. args[1], ["Content-Type"] = "application/json" }
  unit, run_tag = args[2], args[3]
end

function request()
  sent = sent + 1
  local body = string.format(
    '{"person":"%s-T%d-%d","name":"bench person %d","unit":"%s"}', run_tag, thread_number, sent, sent, unit)
  return wrk.format("POST", "/v1/persons", headers, body)
end
