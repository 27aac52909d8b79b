-- The traffic of tests/test_core_spike.py for wrk: public reads and, WRITE_EVERY-th of
-- them, pledges (each with its own Idempotency-Key, sent as its X-Request-ID too, which
-- the server returns: that is how an answer is matched to its request). Each connection
-- waits D.delay_ms before each request, so that the rate is about
-- connections × 1000 / (delay_ms + latency). Inputs: the Lua table file named by
-- SPIKE_LUA_DATA (reads, tokens, body, write_every, delay_ms, prefix, out).
-- Writes D.out: answers by kind and status, the pledge id of every 201 by key, the keys
-- answered 503, and how many 503s came without Retry-After.

local D = dofile(os.getenv("SPIKE_LUA_DATA"))
local threads = {}
local n_threads = 0

function setup(thread)
  n_threads = n_threads + 1
  thread:set("tid", n_threads)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  reads, pledges, created, shed = {}, {}, {}, {}
  bare_503 = 0
end

function delay()
  return D.delay_ms
end

function request()
  n = n + 1
  if n % D.write_every == 0 then
    local key = string.format("%s-%d-%d", D.prefix, tid, n)
    local headers = {
      ["Authorization"] = "Bearer " .. D.tokens[(n % #D.tokens) + 1],
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = key,
      ["X-Request-ID"] = key,
    }
    return wrk.format("POST", "/api/v1/pledges", headers, D.body)
  end
  local headers = {["X-Request-ID"] = string.format("read-%d-%d", tid, n)}
  return wrk.format("GET", D.reads[(n % #D.reads) + 1], headers)
end

function response(status, headers, body)
  local rid = headers["X-Request-ID"] or ""
  local pledge = rid:sub(1, #D.prefix + 1) == D.prefix .. "-"
  local counts = pledge and pledges or reads
  counts[status] = (counts[status] or 0) + 1
  if status == 503 then
    if headers["Retry-After"] == nil then bare_503 = bare_503 + 1 end
    if pledge then shed[#shed + 1] = rid end
  end
  if pledge and status == 201 then
    created[rid] = tonumber(body:match('"id"%s*:%s*(%d+)'))
  end
end

local function codes(t)
  local parts = {}
  for code, count in pairs(t) do parts[#parts + 1] = string.format('"%d": %d', code, count) end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
  local all_reads, all_pledges, all_created, all_shed, bare = {}, {}, {}, {}, 0
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("reads")) do all_reads[code] = (all_reads[code] or 0) + count end
    for code, count in pairs(thread:get("pledges")) do all_pledges[code] = (all_pledges[code] or 0) + count end
    for key, id in pairs(thread:get("created")) do
      all_created[#all_created + 1] = string.format('"%s": %d', key, id)
    end
    for _, key in ipairs(thread:get("shed")) do all_shed[#all_shed + 1] = '"' .. key .. '"' end
    bare = bare + thread:get("bare_503")
  end
  local e = summary.errors
  local out = io.open(D.out, "w")
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "timeouts": %d, "socket_errors": %d, "reads": %s, '
      .. '"pledges": %s, "created": {%s}, "shed": [%s], "bare_503": %d}\n',
    summary.requests, summary.duration, e.timeout, e.connect + e.read + e.write,
    codes(all_reads), codes(all_pledges), table.concat(all_created, ", "),
    table.concat(all_shed, ", "), bare))
  out:close()
end
