-- wrk script for bench/ingest.sh: every request answers the survey of a different
-- invitation (tokens from $TOKENS, one "TOKEN FORM_KEY" per line), spread over wrk's threads.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
  tokens = {}
  local line_no = 0
  for line in io.lines(os.getenv("TOKENS")) do
    if line_no % nthreads == id then
      local token, key = line:match("^(%S+) (%S+)$")
      table.insert(tokens, { "/s/" .. token, "form_key=" .. key .. "&q.recommandation=9&q.satisfaction=5" })
    end
    line_no = line_no + 1
  end
  next_token = 1
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  local t = tokens[next_token]
  next_token = next_token % #tokens + 1
  return wrk.format(nil, t[1], nil, t[2])
end
