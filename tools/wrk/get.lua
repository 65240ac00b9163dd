-- wrk script for the floor of tools/bench's HTTP reads: the same authenticated GET every time.
--   wrk -s get.lua http://127.0.0.1:PORT -- TOKEN PATH

local prepared

function init(args)
  prepared = wrk.format("GET", args[2], { ["Authorization"] = "Bearer " .. args[1] })
end

function request()
  return prepared
end
