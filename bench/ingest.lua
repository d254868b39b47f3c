-- wrk script for POST /events (the ceiling server answers the same requests).
--
--   wrk -t1 -c64 -d8s --latency -s bench/ingest.lua http://127.0.0.1:PORT/events -- \
--       MODE BATCH USERS SLUGS POOL SEED RATE [TS]
--
-- MODE   "single": one event object per request; "batch": a JSON array of BATCH events;
--        "query": GETs of user, pair and movie totals in turn (the url's path is replaced; the
--        names are drawn like the events', so a pool that was ingested first is found)
-- USERS  distinct users to draw from ("user-0000042"), SLUGS distinct movies ("movie-00042")
-- POOL   requests pre-built in init(): request() only picks the next one, so wrk spends its CPU
--        on the socket, not on string building (the requests cycle through the pool)
-- SEED   random seed: users, slugs and positions are random, so events spread over shards/pairs
-- RATE   0: as fast as the server answers. >0: target requests/s for the whole run; wrk has no
--        rate limit, so delay() spaces the requests of all connections 1/RATE s apart on one
--        schedule (LuaJIT ffi clock_gettime; wrk waits whole milliseconds). The achieved rate
--        is what wrk reports, not this target.
-- TS     1: every event carries a client time "ts" (CONTRACT §5.1), increasing through the pool
--        (a pool's second pass repeats them: late events, as the v1 pass repeats positions)
--
-- init() prints "WRK_INIT" when the pool is built; done() prints one line "WRK_JSON {...}" with the
-- counts and the latency distribution (us). Both flush, so the bench sees them as they happen.

local pool = {}
local size = 0
local i = 0

function init(args)
  local mode = args[1] or "single"
  local batch = tonumber(args[2] or "100")
  local users = tonumber(args[3] or "100000")
  local slugs = tonumber(args[4] or "1000")
  local poolSize = tonumber(args[5] or "4096")
  local seed = tonumber(args[6] or "1")
  local rate = tonumber(args[7] or "0")
  local withTs = args[8] == "1"
  math.randomseed(seed)
  local headers = { ["Content-Type"] = "application/json" }
  local ts = 1700000000000 + seed * 1000000000
  local function event()
    if withTs then
      ts = ts + 1
      return string.format('{"user":"user-%07d","slug":"movie-%05d","at":%d,"ts":%.0f}',
        math.random(0, users - 1), math.random(0, slugs - 1), math.random(0, 7200), ts)
    end
    return string.format('{"user":"user-%07d","slug":"movie-%05d","at":%d}',
      math.random(0, users - 1), math.random(0, slugs - 1), math.random(0, 7200))
  end
  for k = 1, poolSize do
    local body
    if mode == "query" then
      local user = string.format("user-%07d", math.random(0, users - 1))
      local slug = string.format("movie-%05d", math.random(0, slugs - 1))
      local paths = { "/users/" .. user .. "/watch-time", "/users/" .. user .. "/movies/" .. slug, "/movies/" .. slug .. "/watch-time" }
      pool[k] = wrk.format("GET", paths[(k - 1) % 3 + 1])
    elseif mode == "single" then
      body = event()
    else
      local parts = {}
      for j = 1, batch do parts[j] = event() end
      body = "[" .. table.concat(parts, ",") .. "]"
    end
    if body then pool[k] = wrk.format("POST", nil, headers, body) end
  end
  size = poolSize
  -- Start each thread at a different place in the pool.
  i = math.random(0, size - 1)
  if rate > 0 then
    -- One schedule for the thread: request k is due at start + k/RATE. delay() is asked before
    -- every request of every connection and returns the wait until the next free slot, so the
    -- rate holds whatever the latency (as long as the connections are enough to carry it).
    local ffi = require("ffi")
    ffi.cdef[[
      typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
      int clock_gettime(int clock, bench_timespec *tp);
    ]]
    local ts = ffi.new("bench_timespec")
    local function now_ms()
      ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
      return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
    end
    local gap = 1000 / rate
    local slot = nil
    delay = function()
      local now = now_ms()
      -- After a stall, catch up at most one second's worth of requests, not the whole backlog.
      if slot == nil or slot < now - 1000 then slot = now end
      slot = slot + gap
      local wait = slot - now
      if wait <= 0 then return 0 end
      return math.floor(wait + 0.5)
    end
  end
  -- Tells the bench that set-up is over (it reads wrk's CPU from here on).
  io.write("WRK_INIT\n")
  io.stdout:flush()
end

function request()
  i = i % size + 1
  return pool[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
  io.stdout:flush()
end
