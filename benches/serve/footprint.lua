-- wrk script: POST one footprint (the demo's P06, hillside villas over the red line) to
-- /v1/check, as the map page does; a non-2xx answer counts as an error.
wrk.method = "POST"
wrk.path = "/v1/check?name=footprint.geojson&lang=en&format=json"
wrk.headers["Content-Type"] = "application/geo+json"
wrk.body = [==[{"type":"FeatureCollection","features":[{"type":"Feature","id":"P06","properties":{"name":"hillside villas","kind":"new","land_use":"residential","height_m":12.0},"geometry":{"type":"Polygon","coordinates":[[[111.21656531547647,30.799095407766202],[111.21656936011769,30.80089937386896],[111.21343465513914,30.80090457334219],[111.21343066904046,30.799100606869175],[111.21656531547647,30.799095407766202]]]}}]}]==]

local bad = 0
function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if bad <= 3 then io.stderr:write("unexpected " .. status .. ": " .. body:sub(1, 300) .. "\n") end
  end
end
