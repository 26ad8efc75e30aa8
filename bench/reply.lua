-- wrk script: POST a new reply with a unique body on each request, keeping the
-- headers given with -H (the bearer token), and count the answers by status.
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counter, ok, clash, locked, other = 0, 0, 0, 0, 0
end

function request()
  counter = counter + 1
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/json"
  local body = '{"body": "Load test reply ' .. id .. '-' .. counter .. '"}'
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  if status == 201 then ok = ok + 1
  elseif status == 409 then clash = clash + 1
  elseif status == 503 then locked = locked + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local totals = {0, 0, 0, 0}
  for _, thread in ipairs(threads) do
    totals[1] = totals[1] + thread:get("ok")
    totals[2] = totals[2] + thread:get("clash")
    totals[3] = totals[3] + thread:get("locked")
    totals[4] = totals[4] + thread:get("other")
  end
  io.write(string.format("STATUSES created=%d conflict=%d unavailable=%d other=%d\n",
                         totals[1], totals[2], totals[3], totals[4]))
end
