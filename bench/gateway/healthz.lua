-- healthz.lua: wrk script for bench_healthz (`make bench-healthz`): GET the
-- URL's path (/healthz) over one keep-alive connection; at the end, one line
-- "HEALTHZ_JSON {...}" with what wrk measured (latencies in microseconds),
-- which bench_healthz turns into bench/results/healthz.json.
--
--   wrk -t1 -c1 -d10s -s healthz.lua http://HOST:PORT/healthz

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'HEALTHZ_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"p50":%d,"p90":%d,' ..
      '"p99":%d,"p999":%d,"max":%d}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.stdev,
      latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9), latency.max))
end
