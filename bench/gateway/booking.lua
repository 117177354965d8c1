-- booking.lua: wrk script for slot-gateway: the whole booking, hold then
-- confirm. Each thread keeps the ids of its held slots in a queue; a
-- request confirms the oldest one if there is one, else holds a slot for a
-- new patient (pools bench/book-0 .. bench/book-(POOLS-1), round robin).
-- Any connection of the thread may confirm any of its holds (same channel).
-- run.sh counts bookings from the gateway's /metrics.
--
--   POOLS=4 TOKEN=bench-app-token-1 wrk -s booking.lua http://HOST:PORT
local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

function init(args)
   counter = 0
   npools = tonumber(os.getenv("POOLS") or "4")
   wrk.headers["Authorization"] = "Bearer " .. (os.getenv("TOKEN") or "bench-app-token-1")
   wrk.headers["Content-Type"] = "application/json"
   prefix = '{"patient":"patient-' .. (os.getenv("RUN") or "k") .. "-" .. tid .. "-"
   queue, head, tail = {}, 1, 0
end

function request()
   if head <= tail then
      local id = queue[head]
      queue[head] = nil
      head = head + 1
      return wrk.format("POST", "/v1/holds/" .. id .. "/confirm", nil,
                        '{"payment_ref":"pay-' .. id .. '"}')
   end
   counter = counter + 1
   local path = "/v1/pools/bench%2Fbook-" .. (counter % npools) .. "/holds"
   return wrk.format("POST", path, nil, prefix .. counter .. '","ttl_ms":600000}')
end

function response(status, headers, body)
   if status == 201 then
      local id = string.match(body, '"hold":(%d+)')
      if id then
         tail = tail + 1
         queue[tail] = id
      end
   end
end

function done(summary, latency, requests)
   io.write(string.format("latency ms (holds and confirms): p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
                          latency:percentile(50) / 1000, latency:percentile(90) / 1000,
                          latency:percentile(99) / 1000, latency.max / 1000))
end
