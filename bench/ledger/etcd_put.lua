-- etcd_put.lua - wrk script for bench/ledger: 1 KiB puts to a single etcd
-- member through its gRPC-JSON gateway (POST /v3/kv/put).
--
--   wrk -t1 -cC -dD --latency -s etcd_put.lua URL -- PREFIX COUNT SIZE
--
-- Before timing, init() builds COUNT complete requests (per wrk thread),
-- each a put of SIZE random bytes (default 1024; base64 in the JSON body,
-- as the gateway wants) to its own key PREFIX/<thread>/<i>; past COUNT a
-- request is built on the fly (still a distinct key). A response counts as
-- a success only when its body holds "revision"; done() prints the counts
-- as "name value" lines for bench/ledger/run, which checks them against
-- the store's revision, and cpu_timed_s: wrk's CPU time (os.clock, all its
-- threads) from the end of the last init() to done(), which leaves out
-- the building of the requests.

local bit = require("bit")
local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local b64tab = {}
for i = 0, 63 do b64tab[i] = b64chars:sub(i + 1, i + 1) end

-- Standard base64 with padding (what the gateway's JSON bytes fields take).
local function b64(data)
   local out, n = {}, #data
   for i = 1, n - 2, 3 do
      local a, b, c = data:byte(i, i + 2)
      local v = bit.bor(bit.lshift(a, 16), bit.lshift(b, 8), c)
      out[#out + 1] = b64tab[bit.rshift(v, 18)] ..
         b64tab[bit.band(bit.rshift(v, 12), 63)] ..
         b64tab[bit.band(bit.rshift(v, 6), 63)] .. b64tab[bit.band(v, 63)]
   end
   local rest = n % 3
   if rest == 1 then
      local a = data:byte(n)
      out[#out + 1] = b64tab[bit.rshift(a, 2)] ..
         b64tab[bit.lshift(bit.band(a, 3), 4)] .. "=="
   elseif rest == 2 then
      local a, b = data:byte(n - 1, n)
      local v = bit.bor(bit.lshift(a, 8), b)
      out[#out + 1] = b64tab[bit.rshift(v, 10)] ..
         b64tab[bit.band(bit.rshift(v, 4), 63)] ..
         b64tab[bit.lshift(bit.band(v, 15), 2)] .. "="
   end
   return table.concat(out)
end

local threads = {}
local thread_counter = 0

function setup(thread)
   thread_counter = thread_counter + 1
   thread:set("tid", thread_counter)
   table.insert(threads, thread)
end

-- per-thread globals (read by done() through thread:get)
ok = 0
bad = 0
errors = 0
init_clock = 0

local reqs = {}
local nreqs = 0
local next_req = 0
local prefix, size
local headers = { ["Content-Type"] = "application/json" }

local function random_bytes(n)
   local t = {}
   for i = 1, n do t[i] = string.char(math.random(0, 255)) end
   return table.concat(t)
end

local function build(i)
   local key = b64(string.format("%s/%d/%d", prefix, tid or 1, i))
   local body = '{"key":"' .. key .. '","value":"' .. b64(random_bytes(size)) .. '"}'
   return wrk.format("POST", "/v3/kv/put", headers, body)
end

function init(args)
   prefix = args[1] or "/bench"
   nreqs = tonumber(args[2] or "10000")
   size = tonumber(args[3] or "1024")
   math.randomseed(os.time() + (tid or 1) * 7919)
   for i = 1, nreqs do reqs[i] = build(i) end
   init_clock = os.clock()
end

function request()
   next_req = next_req + 1
   if next_req <= nreqs then
      local r = reqs[next_req]
      reqs[next_req] = nil
      return r
   end
   return build(next_req)
end

function response(status, hdrs, body)
   if status == 200 and body:find('"revision"', 1, true) then
      ok = ok + 1
   else
      bad = bad + 1
   end
end

function done(summary, latency, requests)
   local tok, tbad, c0 = 0, 0, 0
   for _, t in ipairs(threads) do
      tok = tok + t:get("ok")
      tbad = tbad + t:get("bad")
      c0 = math.max(c0, t:get("init_clock") or 0)
   end
   local e = summary.errors
   io.write(string.format("ok %d\n", tok))
   io.write(string.format("bad %d\n", tbad))
   io.write(string.format("requests %d\n", summary.requests))
   io.write(string.format("socket_errors %d\n",
      e.connect + e.read + e.write + e.timeout))
   io.write(string.format("non2xx %d\n", e.status))
   io.write(string.format("seconds %.4f\n", summary.duration / 1e6))
   io.write(string.format("tps %.1f\n", tok / (summary.duration / 1e6)))
   io.write(string.format("p50_ms %.3f\n", latency:percentile(50) / 1e3))
   io.write(string.format("p99_ms %.3f\n", latency:percentile(99) / 1e3))
   io.write(string.format("mean_ms %.3f\n", latency.mean / 1e3))
   io.write(string.format("max_ms %.3f\n", latency.max / 1e3))
   io.write(string.format("cpu_timed_s %.3f\n", os.clock() - c0))
end
