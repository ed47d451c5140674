-- wrk script of scripts/bench-delivery-log.sh: every request POSTs the file BODY_FILE with the
-- header SIG_HEADER as Calendly-Webhook-Signature (a fixed timestamp: the server's window must
-- admit it). At the end prints one JSON line: requests, non-2xx, socket errors, requests/s and
-- latency p50/p95/p99/max in ms.
local f = assert(io.open(assert(os.getenv("BODY_FILE"), "set BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Calendly-Webhook-Signature"] = assert(os.getenv("SIG_HEADER"), "set SIG_HEADER")

function done(summary, latency, requests)
  local e = summary.errors
  local ms = function(us) return us / 1000 end
  io.write(string.format(
    '{"requests":%d,"non2xx":%d,"socket_errors":%d,"rps":%.1f,"p50_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f}\n',
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    summary.requests / (summary.duration / 1e6), ms(latency:percentile(50)),
    ms(latency:percentile(95)), ms(latency:percentile(99)), ms(latency.max)))
end
