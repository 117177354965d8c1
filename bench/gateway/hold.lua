-- hold.lua: wrk script for slot-gateway: every request is a hold on one hot
-- pool for a patient never seen before (so neither the per-patient rate
-- limit nor PATIENT_HAS_CLAIM interferes), over keep-alive connections.
-- 201 (held) and 409 SOLD_OUT are both hold decisions made by the ledger.
-- Statuses are not counted here (a response() callback costs wrk a third of
-- its CPU on this machine); run.sh reads them from the gateway's /metrics.
--
--   POOL=bench%2Fhot TOKEN=bench-app-token-1 [FIXED=1] wrk -s hold.lua http://HOST:PORT
local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

function init(args)
   counter = 0
   local pool = os.getenv("POOL") or "bench%2Fhot"
   path = "/v1/pools/" .. pool .. "/holds"
   wrk.headers["Authorization"] = "Bearer " .. (os.getenv("TOKEN") or "bench-app-token-1")
   wrk.headers["Content-Type"] = "application/json"
   prefix = '{"patient":"patient-' .. (os.getenv("RUN") or "b") .. "-" .. tid .. "-"
end

-- FIXED=1: one patient for every request, so that all but the first few
-- are refused by the gateway's per-patient rate limit (429) before reaching
-- the cluster: the shim's own ceiling for the same requests.
local fixed = os.getenv("FIXED") == "1"

function request()
   counter = counter + 1
   if fixed then
      return wrk.format("POST", path, nil, prefix .. '0","ttl_ms":600000}')
   end
   return wrk.format("POST", path, nil, prefix .. counter .. '","ttl_ms":600000}')
end

function done(summary, latency, requests)
   io.write(string.format("latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
                          latency:percentile(50) / 1000, latency:percentile(90) / 1000,
                          latency:percentile(99) / 1000, latency.max / 1000))
end
