-- wrk script: POST the toy shop's cart to /v1/carts/evaluate with the demo storefront key.
local file = io.open(os.getenv("CART") or "examples/toyshop.cart.json", "r")
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer rk_demo_storefront"

-- Count non-200 answers so that a run full of errors is not mistaken for a fast one.
done = function(summary, latency, requests)
  io.write(string.format("non-200 responses: %d\n", summary.errors.status))
  io.write(string.format("p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
