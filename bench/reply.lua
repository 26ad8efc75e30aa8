-- wrk script: POST a new reply with a unique body on each request.
counter = 0
request = function()
  counter = counter + 1
  local body = '{"body": "Load test reply ' .. counter .. ' from ' .. tostring(math.random(1, 1e9)) .. '"}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
