-- Every request carries a User-Agent never sent before: each one is a cache miss for botguard
-- (the cache-busting attack). Counts statuses other than 200 and 403.
--   UA_FORM=browser (the default): Chrome's exact string with a version never seen, which the
--     default detector passes before its lists and model run;
--   UA_FORM=device: a phone's full string naming its model, as older Android browsers and many
--     in-app browsers send, with a version never seen: the whole detector decides the model once;
--   UA_FORM=model: the same string naming a model never seen, which the whole detector decides
--     every time (the attack's worst case).
local forms = {
  browser = {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.", " Safari/537.36"},
  device = {"Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.", " Mobile Safari/537.36"},
  model = {"Mozilla/5.0 (Linux; Android 13; SM-", ") AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36"},
}
local form = forms[os.getenv("UA_FORM") or "browser"]
local counter = 0
local bad = 0

function setup(thread)
  thread:set("id", tostring(math.random(1, 1000000000)))
end

request = function()
  counter = counter + 1
  return wrk.format(nil, nil, {["User-Agent"] = form[1] .. id .. "." .. counter .. form[2]})
end

response = function(status, headers, body)
  if status ~= 200 and status ~= 403 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("unexpected statuses: %d\n", bad))
end
