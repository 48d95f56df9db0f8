-- Every request carries a User-Agent never sent before, as in unique_ua.lua, but in a form outside
-- the major browsers' exact formats: a phone's full string naming its model, as older Android
-- browsers and many in-app browsers send. Each is decided by the whole detector (lists and model).
-- Counts statuses other than 200 and 403.
local counter = 0
local bad = 0
local prefix = "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0."

function setup(thread)
  thread:set("id", tostring(math.random(1, 1000000000)))
end

request = function()
  counter = counter + 1
  return wrk.format(nil, nil, {["User-Agent"] = prefix .. id .. "." .. counter .. " Mobile Safari/537.36"})
end

response = function(status, headers, body)
  if status ~= 200 and status ~= 403 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("unexpected statuses: %d\n", bad))
end
