"""Writes the demo proposals as a GIS department would hand them over: EPSG:4546, by GeoPandas
and pyogrio, in FlatGeobuf, GeoParquet and GeoPackage, the GeoJSON's feature ids in a `pid`
column. The format tests read them natively and must give the GeoJSON's findings.

Usage (from the repository root): python3 tests/data/make_proposals_4546.py
"""
import json

import geopandas as gpd

with open("data/yichang/proposals.geojson", encoding="utf-8") as f:
    ids = [feat["id"] for feat in json.load(f)["features"]]
gdf = gpd.read_file("data/yichang/proposals.geojson").to_crs("EPSG:4546")
gdf = gdf.drop(columns=["id"], errors="ignore")
# Dates stay text, as the submission wrote them (GeoPandas would make them timestamps).
for col in ("start_date", "end_date"):
    gdf[col] = gdf[col].dt.strftime("%Y-%m-%d").where(gdf[col].notna(), None)
gdf.insert(0, "pid", ids)
gdf.to_file("tests/data/proposals_4546.fgb", driver="FlatGeobuf", layer="proposals_4546")
gdf.to_file("tests/data/proposals_4546.gpkg", driver="GPKG", layer="proposals")
gdf.to_parquet("tests/data/proposals_4546.parquet")
print(f"{len(gdf)} proposals, columns: {', '.join(gdf.columns)}")
