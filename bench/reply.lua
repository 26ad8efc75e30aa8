-- wrk script: POST a new reply with a unique body on each request, keeping the
-- headers given with -H (the bearer token).
counter = 0
request = function()
  counter = counter + 1
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/json"
  local body = '{"body": "Load test reply ' .. counter .. ' ' .. tostring(math.random(1, 1e9)) .. '"}'
  return wrk.format("POST", nil, headers, body)
end
