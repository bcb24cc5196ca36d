-- bench/http.py runs wrk with this script: one line it can parse, latencies in microseconds.
-- summary.errors.status counts answers other than 2xx/3xx (a 304 is not an error).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d errors=%d status_errors=%d p50=%d p95=%d p99=%d\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
