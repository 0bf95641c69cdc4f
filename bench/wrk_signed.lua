-- Replays pre-signed Stripe deliveries, each once: thread k of n takes lines k, k+n, k+2n...
-- of the file named by WRK_REQUESTS (one "signature<TAB>body" per line).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local n = tonumber(os.getenv("WRK_THREADS"))
  deliveries = {}
  local line_number = 0
  for line in io.lines(os.getenv("WRK_REQUESTS")) do
    if line_number % n == index then
      local tab = line:find("\t", 1, true)
      table.insert(deliveries, {line:sub(1, tab - 1), line:sub(tab + 1)})
    end
    line_number = line_number + 1
  end
  position = 0
end

function request()
  position = position % #deliveries + 1
  local delivery = deliveries[position]
  return wrk.format("POST", "/webhooks/stripe",
    {["Stripe-Signature"] = delivery[1], ["Content-Type"] = "application/json"}, delivery[2])
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
