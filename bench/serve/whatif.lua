-- wrk script: GET the what-if endpoint, count non-2xx answers, print p50/p99 latency.
wrk.method = "GET"
wrk.path = "/api/network/whatif?carrier=gas&cut=scp-east"
local non2xx = 0
response = function(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
                 + summary.errors.timeout + summary.errors.status
  io.write(string.format("requests: %d in %.1f s\n", summary.requests, summary.duration / 1e6))
  io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency p50: %.3f ms\n", latency:percentile(50) / 1000))
  io.write(string.format("latency p99: %.3f ms\n", latency:percentile(99) / 1000))
  io.write(string.format("errors: %d (connect %d, read %d, write %d, timeout %d, non-2xx %d)\n",
                          errors, summary.errors.connect, summary.errors.read, summary.errors.write,
                          summary.errors.timeout, summary.errors.status))
end
