-- Every request carries a User-Agent never sent before: each one is a cache miss for botguard
-- (the cache-busting attack). Counts statuses other than 200 and 403.
local counter = 0
local bad = 0
local prefix = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0."

function setup(thread)
  thread:set("id", tostring(math.random(1, 1000000000)))
end

request = function()
  counter = counter + 1
  return wrk.format(nil, nil, {["User-Agent"] = prefix .. id .. "." .. counter .. " Safari/537.36"})
end

response = function(status, headers, body)
  if status ~= 200 and status ~= 403 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("unexpected statuses: %d\n", bad))
end
