-- One HTTP scenario for wrk (C, epoll: a load tool that leaves the cores to the server).
-- Inputs come from the Lua table file named by BENCH_LUA_DATA (written by bench/run.py):
--   scenario, url, method, ok (list of good statuses), out (result file), tokens,
--   target_ids, spread ({target, aid_type} pairs), hot ({target, aid_type}), planned.
-- wrk gives the throughput; this script counts answers per status and keeps the id of
-- every 201 so bench/run.py can check afterwards that each acknowledged pledge is in the
-- database. Latency comes from bench/run.py's probe client, not from wrk's histogram
-- (unreliable against a server that closes every connection; see LatencyProbe).

local D = dofile(os.getenv("BENCH_LUA_DATA"))
local threads = {}
local n_threads = 0

function setup(thread)
  n_threads = n_threads + 1
  thread:set("tid", n_threads)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(7919 * tid)
  codes = {}
  ids = {}
end

local function bearer()
  return "Bearer " .. D.tokens[math.random(#D.tokens)]
end

local function pledge(target, aid_type, quantity)
  local body = string.format(
    '{"target": %d, "aid_type": "%s", "quantity": %d, "planned_delivery": "%s"}',
    target, aid_type, quantity, D.planned)
  local headers = {["Authorization"] = bearer(), ["Content-Type"] = "application/json"}
  return wrk.format("POST", D.url, headers, body)
end

function request()
  if D.scenario == "target_detail" then
    local id = D.target_ids[math.random(#D.target_ids)]
    return wrk.format("GET", (D.url:gsub("{id}", tostring(id))))
  elseif D.scenario == "pledge_spread" then
    local pick = D.spread[math.random(#D.spread)]
    return pledge(pick[1], pick[2], math.random(1, 3))
  elseif D.scenario == "pledge_hot" then
    return pledge(D.hot[1], D.hot[2], 1)
  end
  return wrk.format(D.method, D.url)
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
  if status == 201 then
    local id = body:match('"id"%s*:%s*(%d+)')
    if id then ids[#ids + 1] = id end
  end
end

function done(summary, latency, requests)
  local all_codes, all_ids = {}, {}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("codes")) do
      all_codes[code] = (all_codes[code] or 0) + n
    end
    for _, id in ipairs(thread:get("ids")) do
      all_ids[#all_ids + 1] = id
    end
  end
  local parts = {}
  for code, n in pairs(all_codes) do
    parts[#parts + 1] = string.format('"%d": %d', code, n)
  end
  local e = summary.errors
  local out = io.open(D.out, "w")
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "socket_errors": %d, "codes": {%s}, "ids": [%s]}\n',
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout,
    table.concat(parts, ", "), table.concat(all_ids, ", ")))
  out:close()
end
