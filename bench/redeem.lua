-- wrk script: reserve a use of an unlimited shared coupon for a new order, then confirm it, over
-- and over. Confirms are sent as soon as a reservation's answer names its id, so the stream is
-- reserve, confirm, reserve, confirm… (a "pair" is one of each). Run with 1 wrk thread.
local counter = 0
local pending = {}
local reserve_body = '{"code":"%s","customer":"C-%d","order_id":"O-%d-%d","idempotency_key":"K-%d-%d"}'
local code = os.getenv("CODE") or "BENCH-UNLIMITED"
local run = os.time()

wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer rk_demo_storefront"

request = function()
  local id = table.remove(pending)
  if id then
    return wrk.format("POST", "/v1/redemptions/" .. id .. "/confirm", nil, "")
  end
  counter = counter + 1
  return wrk.format("POST", "/v1/redemptions", nil,
    string.format(reserve_body, code, counter % 1000, run, counter, run, counter))
end

response = function(status, headers, body)
  if status == 201 then
    local id = body:match('"id":"(red_[0-9a-f]+)"')
    if id then table.insert(pending, id) end
  end
end

done = function(summary, latency, requests)
  io.write(string.format("non-2xx responses: %d\n", summary.errors.status))
  io.write(string.format("p50 %.3f ms, p99 %.3f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
