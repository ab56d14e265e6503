-- wrk script for the imageshare benchmarks: plain requests of the URL given on the command line (the token
-- comes in with -H), plus one machine-readable line at the end. Latencies are in microseconds.
-- Modelled on /work/shared/peers/glance/lib/wrk_report.lua, so the figures compare with the Glance run.
-- No response() hook on purpose: it makes wrk hand every body to Lua. Non-2xx/3xx answers are counted by
-- wrk itself (err_status).
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,' ..
      '"err_timeout":%d,"lat_mean_us":%.1f,"lat_max_us":%d,' ..
      '"p50":%d,"p90":%d,"p95":%d,"p99":%d,"p999":%d}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.mean, latency.max,
      latency:percentile(50), latency:percentile(90), latency:percentile(95),
      latency:percentile(99), latency:percentile(99.9)))
end
