-- DPoP requests (RFC 9449): each line of BENCH_TOKENS is "<refresh token or -> <proof>", a
-- proof signed beforehand for this one request (a `jti` is accepted once). With a refresh
-- token: a bound refresh at /token; with "-": the fixed request of BENCH_METHOD and
-- BENCH_AUTHORIZATION (`DPoP <access token>`) at the scenario's path.
local lines = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  local token, proof = line:match("^(%S+) (%S+)$")
  lines[#lines + 1] = {token, proof}
end
local client_id = os.getenv("BENCH_CLIENT_ID")
local method = os.getenv("BENCH_METHOD") or "GET"
local authorization = os.getenv("BENCH_AUTHORIZATION")
local next_line = 0

request = function()
  next_line = next_line + 1
  local entry = lines[next_line] or {"exhausted", "exhausted"}
  local token, proof = entry[1], entry[2]
  if token ~= "-" then
    local body = "grant_type=refresh_token&client_id=" .. client_id .. "&refresh_token=" .. token
    local headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["DPoP"] = proof}
    return wrk.format("POST", "/token", headers, body)
  end
  return wrk.format(method, nil, {["Authorization"] = authorization, ["DPoP"] = proof})
end
