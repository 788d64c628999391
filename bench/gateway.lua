-- wrk script for bench/gateway: one lookup per request, by a random key from a key file.
--
-- Environment:
--   BENCH_KEYS    path of the key file, one key per line
--   BENCH_PREFIX  path and query up to the key, e.g. /gateway/v1/101001/0001/records?sfzhm=
--   BENCH_SUFFIX  what follows the key (optional)
--   BENCH_TOKEN   bearer credential (optional; sent as Authorization: Bearer …)
--   BENCH_SEED    seed of the key choice (optional); each thread adds its own number so threads differ
--
-- At the end it prints one machine-readable line:
--   RESULT requests=N duration_us=N rps=N p50_ms=N p99_ms=N max_ms=N non2xx=N socket_errors=N

local keys = {}
local prefix = os.getenv("BENCH_PREFIX") or "/"
local suffix = os.getenv("BENCH_SUFFIX") or ""
local token = os.getenv("BENCH_TOKEN")
local seed = tonumber(os.getenv("BENCH_SEED") or "1")
local threads = {}
local counter = 0

for line in io.lines(os.getenv("BENCH_KEYS")) do
    if #line > 0 then keys[#keys + 1] = line end
end
if #keys == 0 then error("no keys in " .. tostring(os.getenv("BENCH_KEYS"))) end

local headers = {}
if token and #token > 0 then headers["Authorization"] = "Bearer " .. token end

function setup(thread)
    counter = counter + 1
    thread:set("id", counter)
    threads[#threads + 1] = thread
end

function init(args)
    math.randomseed(seed * 7919 + (id or 0))
end

function request()
    local key = keys[math.random(#keys)]
    return wrk.format("GET", prefix .. key .. suffix, headers)
end

function done(summary, latency, requests)
    local errors = summary.errors
    local seconds = summary.duration / 1e6
    io.write(string.format(
        "RESULT requests=%d duration_us=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d\n",
        summary.requests, summary.duration, summary.requests / seconds,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
        errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
