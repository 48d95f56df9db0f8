-- Cycles through a few thousand distinct User-Agents, half browsers and half bots, so that the
-- verdict cache fills, then serves from itself. Counts statuses other than 200 and 403.
local distinct = tonumber(os.getenv("SOAK_DISTINCT") or "3000")
local counter = 0
local bad = 0

request = function()
  counter = counter + 1
  local i = counter % distinct
  local ua
  if i % 2 == 0 then
    ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0." .. i .. " Safari/537.36"
  else
    ua = "ExampleCrawler" .. i .. "bot/1." .. i .. " (+https://example.org/bot)"
  end
  return wrk.format(nil, nil, {["User-Agent"] = ua})
end

response = function(status, headers, body)
  if status ~= 200 and status ~= 403 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("unexpected statuses: %d\n", bad))
end
